package dev.polystore.benchmarks;

import dev.polystore.testkit.redis.RedisProcess;
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
 * Redis against a redis-server process on loopback (the embedded-redis jar's binary, no
 * persistence): get, put and a 100-item prefix query, with 1 and with 64 operations in flight —
 * Polystore's redis backend vs hand-written Lettuce doing the same work ({@link RawRedisTarget}).
 * The server shares the two cores with the benchmark: compare the ratios, not the absolute numbers.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class RedisBenchmark {
    static final int IN_FLIGHT = 64;

    @Param({Targets.POLYSTORE, Targets.RAW})
    public String impl;

    @Param("1000")
    public int items;

    @Param("10")
    public int partitions;

    RedisProcess server;
    Target target;
    String[] pks;
    String[] listPks;

    @Setup(Level.Trial)
    public void setUp() {
        server = RedisProcess.startDefault();
        target = RedisTargets.of(impl, server.uri());
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
