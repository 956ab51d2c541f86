package dev.polystore.benchmarks;

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
 * PostgreSQL (embedded server, {@code fsync = on}, {@code synchronous_commit = on}), one caller
 * and 64 in flight: point get, durable put (one commit each), a prefix query of 100 items out of
 * a 200-item partition — Polystore vs hand-written pgjdbc on a pool configured alike
 * ({@link RawPostgresTarget}), a fresh 1 KB JSON payload per put. {@code polystore} runs with the
 * backend's defaults (calls on the caller's thread when a connection is free),
 * {@code polystore-pooled} with {@code run_on_caller = false}; {@code raw} runs on the caller's
 * thread, {@code raw-pool} on an executor of one thread per connection.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class PostgresBenchmark {
    static final int IN_FLIGHT = 64;

    @Param({Targets.POLYSTORE, Targets.POLYSTORE_POOLED, Targets.RAW, Targets.RAW_POOL})
    public String impl;

    @Param("10000")
    public int items;

    @Param("20")
    public int partitions;

    PostgresBenchServer server;
    Target target;
    String[] pks;
    String[] listPks;

    @Setup(Level.Trial)
    public void setUp() {
        server = PostgresBenchServer.start();
        target = Targets.postgres(impl, server.jdbcUrl(), server.user());
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
        server.close();
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
    @OperationsPerInvocation(IN_FLIGHT)
    public void get64(Caller c) {
        Targets.inFlight(IN_FLIGHT, i -> target.get(pks[c.random.nextInt(pks.length)], Targets.ITEM_SK));
    }

    @Benchmark
    public long put(Caller c) {
        return target.put(pks[c.random.nextInt(pks.length)], Targets.ITEM_SK, c.payloads.next()).join();
    }

    /** 64 durable puts of distinct keys issued at once, then awaited. */
    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT)
    public void put64(Caller c) {
        int start = c.random.nextInt(pks.length - IN_FLIGHT);
        Targets.inFlight(IN_FLIGHT, i -> target.put(pks[start + i], Targets.ITEM_SK, c.payloads.next()));
    }

    @Benchmark
    public long query100(Caller c) {
        return target.query(listPks[c.random.nextInt(listPks.length)], "a#").join();
    }

    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT)
    public void query100x64(Caller c) {
        Targets.inFlight(IN_FLIGHT, i -> target.query(listPks[c.random.nextInt(listPks.length)], "a#"));
    }
}
