package dev.polystore.benchmarks;

import java.util.ArrayList;
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
 * Batch load of {@code items} new 1 KB items into DynamoDB Local, one shot per load (fresh keys
 * each time): Polystore's {@code Store.batchPut} vs raw {@code BatchWriteItem} in chunks of 25
 * ({@code raw}) and vs the raw client doing the load the way {@code batchPut} does it
 * ({@code raw-updates}: single guarded {@code UpdateItem}s, 25 at once per chunk, 8 chunks in
 * flight). {@code polystore-concurrent} issues the load as concurrent {@code batchPut} calls of
 * 25 (one {@code batchPut} keeps at most 8 chunks in flight).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class DynamoDbBatchLoadBenchmark {
    /** {@code polystore-concurrent}: the same load as 400 concurrent {@code batchPut} calls of 25. */
    @Param({Targets.POLYSTORE, "polystore-concurrent", Targets.RAW, Targets.RAW_UPDATES})
    public String impl;

    @Param("10000")
    public int items;

    DynamoDbLocalServer server;
    Target target;
    Payloads payloads;
    List<Entry> data;
    int round;

    @Setup(Level.Trial)
    public void setUp() {
        server = DynamoDbLocalServer.start();
        target = target(impl, server.endpoint());
        payloads = new Payloads(3);
    }

    /** The target a contender loads into ({@code polystore-concurrent} is Polystore's). */
    static Target target(String impl, String endpoint) {
        return Targets.dynamodb(impl.equals("polystore-concurrent") ? Targets.POLYSTORE : impl, endpoint);
    }

    @Setup(Level.Invocation)
    public void data() {
        round++;
        data = new ArrayList<>(items);
        for (int i = 0; i < items; i++) {
            data.add(new Entry(String.format("load%03d#%07d", round, i), Targets.ITEM_SK, payloads.next()));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        target.close();
        server.close();
    }

    @Benchmark
    public void batchLoad() {
        if (impl.equals("polystore-concurrent")) {
            ((PolystoreTarget) target).loadConcurrently(data, 25).join();
        } else {
            target.load(data).join();
        }
    }
}
