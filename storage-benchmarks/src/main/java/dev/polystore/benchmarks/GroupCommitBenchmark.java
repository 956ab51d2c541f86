package dev.polystore.benchmarks;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * 64 concurrent durable puts on SQLite ({@code synchronous = FULL}), in puts per second:
 * <ul>
 *   <li>{@code polystore}: 64 {@code Store.put} calls in flight at once, each future completing
 *       only after its own write is durable — the writer groups them into shared commits;</li>
 *   <li>{@code raw-autocommit}: raw sqlite-jdbc writing the 64 items one after another, one
 *       autocommit transaction (one fsync) each — the same per-write durability;</li>
 *   <li>{@code raw-transaction}: raw sqlite-jdbc writing the 64 in one transaction — the bound,
 *       but no write is durable before all are.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class GroupCommitBenchmark {
    static final int IN_FLIGHT = 64;

    @Param({"polystore", "raw-autocommit", "raw-transaction"})
    public String mode;

    @Param("10000")
    public int items;

    Path dir;
    Target target;
    String[] pks;
    final SplittableRandom random = new SplittableRandom(17);
    final Payloads payloads = new Payloads(18);

    @Setup(Level.Trial)
    public void setUp() {
        dir = Targets.tempDir("bench-group-");
        target = Targets.sqlite(mode.equals("polystore") ? Targets.POLYSTORE : Targets.RAW, dir);
        Targets.load(target, Targets.dataset(items, 0, new Payloads(1)), 5_000);
        pks = new String[items];
        for (int i = 0; i < items; i++) {
            pks[i] = Targets.itemPk(i);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        target.close();
        Targets.deleteRecursively(dir);
    }

    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT)
    public void put64() {
        List<Entry> batch = new ArrayList<>(IN_FLIGHT);
        for (int i = 0; i < IN_FLIGHT; i++) {
            batch.add(new Entry(pks[random.nextInt(pks.length)], Targets.ITEM_SK, payloads.next()));
        }
        switch (mode) {
            case "polystore":
                Targets.inFlight(IN_FLIGHT, i -> target.put(batch.get(i).pk(), batch.get(i).sk(), batch.get(i).payload()));
                break;
            case "raw-autocommit":
                ((RawSqliteTarget) target).putAll(batch, false).join();
                break;
            case "raw-transaction":
                ((RawSqliteTarget) target).putAll(batch, true).join();
                break;
            default:
                throw new IllegalArgumentException(mode);
        }
    }
}
