package dev.polystore.benchmarks;

import java.nio.file.Path;
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
 * SQLite, one caller: point get, durable put (one commit each: nothing to group) and a prefix
 * query of 100 items out of a 200-item partition, gets and queries also with 64 issued at once
 * (the synchronous raw driver runs them one after another) — Polystore vs hand-written sqlite-jdbc on a
 * file of its own, same pragmas, same layout, a fresh 1 KB JSON payload per put.
 * {@code polystore-pooled} is Polystore with {@code read_on_caller = false} (every read handed to
 * a reader thread); {@code raw-hops} is a diagnostic: the raw driver behind those same thread
 * hand-offs ({@link HandoffTarget}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class SqliteBenchmark {
    static final int IN_FLIGHT = 64;

    @Param({Targets.POLYSTORE, Targets.POLYSTORE_POOLED, Targets.RAW, Targets.RAW_HOPS})
    public String impl;

    /** Single items that gets and puts pick from at random. */
    @Param("10000")
    public int items;

    /** Query partitions (100 matching + 100 other items each). */
    @Param("20")
    public int partitions;

    Path dir;
    Target target;
    String[] pks;
    String[] listPks;

    @Setup(Level.Trial)
    public void setUp() {
        dir = Targets.tempDir("bench-sqlite-");
        target = Targets.sqlite(impl, dir);
        Targets.load(target, Targets.dataset(items, partitions, new Payloads(1)), 5_000);
        pks = new String[items];
        for (int i = 0; i < items; i++) {
            pks[i] = Targets.itemPk(i);
        }
        listPks = new String[partitions];
        for (int i = 0; i < partitions; i++) {
            listPks[i] = Targets.listPk(i);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        target.close();
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

    /** 64 gets issued at once, then awaited: raw JDBC does them one after another on this thread. */
    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT)
    public void get64(Caller c) {
        Targets.inFlight(IN_FLIGHT, i -> target.get(pks[c.random.nextInt(pks.length)], Targets.ITEM_SK));
    }

    @Benchmark
    public long put(Caller c) {
        return target.put(pks[c.random.nextInt(pks.length)], Targets.ITEM_SK, c.payloads.next()).join();
    }

    @Benchmark
    public long query100(Caller c) {
        return target.query(listPks[c.random.nextInt(listPks.length)], "a#").join();
    }

    /** 64 queries issued at once, then awaited. */
    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT)
    public void query100x64(Caller c) {
        Targets.inFlight(IN_FLIGHT, i -> target.query(listPks[c.random.nextInt(listPks.length)], "a#"));
    }
}
