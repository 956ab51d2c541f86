package dev.polystore.benchmarks;

import dev.polystore.Codec;
import dev.polystore.Storage;
import dev.polystore.event.AppendResult;
import dev.polystore.event.EventHandler;
import dev.polystore.event.EventStore;
import dev.polystore.event.ExpectedRevision;
import dev.polystore.event.NewEvent;
import dev.polystore.event.Subscription;
import dev.polystore.event.SubscriptionOptions;
import dev.polystore.lease.Lease;
import dev.polystore.lease.Leases;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
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
 * Coordination on SQLite and DynamoDB Local: one event appended to a stream this Storage
 * appended to last (1 engine round trip: the transaction), a lease acquired and released (3:
 * the query of its partition, the acquiring transaction, the releasing transaction), and the
 * subscription lag: from the start of an append to the moment a live subscription's handler
 * has the event, under a steady load of one appender, with the poll interval {@code pollMs}
 * (neither backend has a native wake-up, so the lag is the append plus on average half a poll
 * interval plus one read).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(1)
public class CoordinationBenchmark {
    @Param({"sqlite", "dynamodb"})
    public String backend;

    /** The subscription's poll interval, in milliseconds. */
    @Param({"20"})
    public int pollMs;

    /** A running DynamoDB Local to use instead of starting one (the smoke test sets it). */
    String endpoint;

    private DynamoDbLocalServer dynamo;
    private Path dir;
    private Storage storage;
    EventStore<String> events;
    Leases leases;
    private Subscription subscription;
    private final BlockingQueue<Long> delivered = new LinkedBlockingQueue<>();
    private final AtomicLong ids = new AtomicLong();

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (backend.equals("sqlite")) {
            dir = Files.createTempDirectory("polystore-coordination-bench");
            storage = PolystoreTarget.sqlite(dir.resolve("bench.db")).storage();
        } else {
            if (endpoint == null) {
                dynamo = DynamoDbLocalServer.start();
                endpoint = dynamo.endpoint();
            }
            storage = PolystoreTarget.dynamodb(endpoint).storage();
        }
        events = storage.events(Codec.utf8());
        leases = storage.leases();
        events.append("bench-append", ExpectedRevision.any(), List.of(event())).join();
        events.append("bench-lag", ExpectedRevision.any(), List.of(event())).join();
        subscription = events.subscribe("bench-lag", SubscriptionOptions.builder().fromEnd()
                .pollInterval(Duration.ofMillis(pollMs)).build(), EventHandler.of(e -> delivered.add(e.revision())));
        subscription.caughtUp().join();
    }

    private NewEvent<String> event() {
        return NewEvent.of("e" + ids.incrementAndGet(), "tick", "{\"n\":" + ids.get() + "}");
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        subscription.close();
        storage.close();
        if (dynamo != null) {
            dynamo.close();
        }
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
    }

    /** One event appended at the next revision (expected revision "any"). */
    @Benchmark
    public AppendResult append() {
        return events.append("bench-append", ExpectedRevision.any(), List.of(event())).join();
    }

    /** tryAcquire of a free lease, then its release. */
    @Benchmark
    public boolean acquireRelease() {
        Lease lease = leases.tryAcquire("bench-lease", Duration.ofSeconds(30)).join().orElseThrow();
        return lease.release().join();
    }

    /** From the start of an append until the live subscription's handler has the event. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    public long subscriptionLag() throws InterruptedException {
        long revision = events.append("bench-lag", ExpectedRevision.any(), List.of(event())).join().lastRevision();
        while (true) {
            Long seen = delivered.poll(60, TimeUnit.SECONDS);
            if (seen == null) {
                throw new IllegalStateException("revision " + revision + " not delivered within 60 s");
            }
            if (seen == revision) {
                return seen;
            }
        }
    }
}
