package dev.polystore.benchmarks;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import com.google.crypto.tink.prf.PredefinedPrfParameters;
import com.google.crypto.tink.prf.PrfConfig;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The encryption layer's cost: get and durable put of 1 KB items through Polystore on SQLite and
 * on DynamoDB Local, with ({@code encrypted}) and without ({@code plain}) the layer, in one run;
 * {@link TinkBenchmark} measures Tink's raw AES-256-GCM encrypt and decrypt of the same bytes,
 * the floor of what the layer can cost. Average time per call in microseconds.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class EncryptionBenchmark {
    @Param({"sqlite", "dynamodb"})
    public String engine;

    @Param({"plain", "encrypted"})
    public String layer;

    @Param("2000")
    public int items;

    Path dir;
    DynamoDbLocalServer server;
    Target target;
    String[] pks;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Targets.tempDir("bench-enc-");
        StorageConfig.Builder b;
        if (engine.equals("sqlite")) {
            b = StorageConfig.builder().backend("sqlite").set("sqlite.path", dir.resolve("bench.db").toString());
        } else {
            server = DynamoDbLocalServer.start();
            b = StorageConfig.builder().backend("dynamodb")
                    .set("dynamodb.endpoint", server.endpoint())
                    .set("dynamodb.region", RawDynamoDbTarget.REGION)
                    .set("dynamodb.table_prefix", "bench_")
                    .set("dynamodb.create_tables", true)
                    .set("dynamodb.credentials", "local")
                    .set("dynamodb.api_call_attempt_timeout_ms", 30_000)
                    .set("dynamodb.api_call_timeout_ms", 120_000);
        }
        if (layer.equals("encrypted")) {
            AeadConfig.register();
            PrfConfig.register();
            Path aead = dir.resolve("aead.json");
            Path prf = dir.resolve("prf.json");
            Files.writeString(aead, TinkJsonProtoKeysetFormat.serializeKeyset(
                    KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM), InsecureSecretKeyAccess.get()));
            Files.writeString(prf, TinkJsonProtoKeysetFormat.serializeKeyset(
                    KeysetHandle.generateNew(PredefinedPrfParameters.HMAC_SHA256_PRF), InsecureSecretKeyAccess.get()));
            b.layers("encryption").set("encryption.keyset", "cleartext-file:" + aead)
                    .set("encryption.blind_keyset", "cleartext-file:" + prf);
        } else if (!layer.equals("plain")) {
            throw new IllegalArgumentException("layer must be plain or encrypted, not " + layer);
        }
        target = new PolystoreTarget(StoreFactory.open(b.build()));
        Targets.putAll(target, Targets.dataset(items, 1, new Payloads(1)), 16);
        pks = new String[items];
        for (int i = 0; i < items; i++) {
            pks[i] = Targets.itemPk(i);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        target.close();
        if (server != null) {
            server.close();
        }
        Targets.deleteRecursively(dir);
    }

    /** Per-thread randomness and payloads. */
    @State(Scope.Thread)
    public static class Caller {
        final SplittableRandom random = new SplittableRandom(42);
        final Payloads payloads = new Payloads(43);
    }

    @Benchmark
    public byte[] get(Caller c) {
        return target.get(pks[c.random.nextInt(pks.length)], Targets.ITEM_SK).join();
    }

    @Benchmark
    public long put(Caller c) {
        return target.put(pks[c.random.nextInt(pks.length)], Targets.ITEM_SK, c.payloads.next()).join();
    }
}
