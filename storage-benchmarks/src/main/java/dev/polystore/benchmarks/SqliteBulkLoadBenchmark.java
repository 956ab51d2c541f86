package dev.polystore.benchmarks;

import java.nio.file.Path;
import java.util.List;
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
 * Bulk load of {@code items} 1 KB items into a fresh SQLite file, one shot per file: Polystore's
 * {@code Store.batchPut} (split by the API into calls of 500, one commit each) vs raw sqlite-jdbc
 * inserting everything in one transaction. Reported as time per load. {@code polystore-concurrent}
 * issues the same load as concurrent {@code batchPut} calls of 500, which group commit can merge.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class SqliteBulkLoadBenchmark {
    /** {@code polystore-concurrent}: the same load as 200 concurrent {@code batchPut} calls of 500. */
    @Param({Targets.POLYSTORE, "polystore-concurrent", Targets.RAW})
    public String impl;

    @Param("100000")
    public int items;

    List<Entry> data;
    Path dir;
    Target target;

    @Setup(Level.Trial)
    public void data() {
        data = Targets.dataset(items, 0, new Payloads(5));
    }

    @Setup(Level.Invocation)
    public void open() {
        dir = Targets.tempDir("bench-bulk-");
        target = Targets.sqlite(impl.equals("polystore-concurrent") ? Targets.POLYSTORE : impl, dir);
    }

    @TearDown(Level.Invocation)
    public void close() {
        target.close();
        Targets.deleteRecursively(dir);
    }

    @Benchmark
    public void bulkLoad() {
        if (impl.equals("polystore-concurrent")) {
            ((PolystoreTarget) target).loadConcurrently(data, 500).join();
        } else {
            target.load(data).join();
        }
    }
}
