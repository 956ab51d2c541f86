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
 * DynamoDB against DynamoDB Local in this JVM (loopback HTTP): get, put and a 100-item prefix
 * query, with 1 and with 64 operations in flight — Polystore vs the raw SDK v2 async client,
 * plain ({@code raw}: the request an application would send) and guarded ({@code raw-guarded}:
 * the very request Polystore sends, write token and conditions included; gets and queries as
 * {@code raw}).
 * DynamoDB Local is an emulator (Jetty + SQLite) running on the same two cores: only the ratios
 * mean something, not the absolute numbers.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class DynamoDbBenchmark {
    static final int IN_FLIGHT = 64;

    @Param({Targets.POLYSTORE, Targets.RAW, Targets.RAW_GUARDED})
    public String impl;

    @Param("1000")
    public int items;

    @Param("10")
    public int partitions;

    DynamoDbLocalServer server;
    Target target;
    String[] pks;
    String[] listPks;

    @Setup(Level.Trial)
    public void setUp() {
        server = DynamoDbLocalServer.start();
        // Every fork leaves the emulator in the same state whichever contender it measures: all
        // contenders' tables exist and hold the same items, written the same way (single puts,
        // 64 at a time).
        for (String other : new String[] {Targets.POLYSTORE, Targets.RAW, Targets.RAW_GUARDED}) {
            if (!other.equals(impl)) {
                try (Target t = Targets.dynamodb(other, server.endpoint())) {
                    Targets.putAll(t, Targets.dataset(items, partitions, new Payloads(1)), IN_FLIGHT);
                }
            }
        }
        target = Targets.dynamodb(impl, server.endpoint());
        Targets.putAll(target, Targets.dataset(items, partitions, new Payloads(1)), IN_FLIGHT);
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

    @Benchmark
    @OperationsPerInvocation(IN_FLIGHT)
    public void put64(Caller c) {
        Targets.inFlight(IN_FLIGHT, i -> target.put(pks[c.random.nextInt(pks.length)], Targets.ITEM_SK, c.payloads.next()));
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
