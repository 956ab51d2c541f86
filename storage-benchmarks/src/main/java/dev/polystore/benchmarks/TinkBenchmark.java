package dev.polystore.benchmarks;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Tink's raw AES-256-GCM encrypt and decrypt of one 1 KB payload with associated data of the size
 * the encryption layer uses (store, pk, sk): what {@link EncryptionBenchmark}'s encrypted puts
 * and gets cannot cost less than.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class TinkBenchmark {
    Aead aead;
    byte[] plaintext;
    byte[] ciphertext;
    byte[] aad;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        AeadConfig.register();
        aead = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM)
                .getPrimitive(RegistryConfiguration.get(), Aead.class);
        plaintext = new Payloads(1).next();
        aad = ("\u0001items" + Targets.itemPk(1) + Targets.ITEM_SK).getBytes(StandardCharsets.UTF_8);
        ciphertext = aead.encrypt(plaintext, aad);
    }

    @Benchmark
    public byte[] encrypt() throws Exception {
        return aead.encrypt(plaintext, aad);
    }

    @Benchmark
    public byte[] decrypt() throws Exception {
        return aead.decrypt(ciphertext, aad);
    }
}
