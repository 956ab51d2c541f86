package dev.polystore.testkit.coordination;

import static dev.polystore.testkit.KitAssertions.await;
import static dev.polystore.testkit.KitAssertions.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Capability;
import dev.polystore.Codec;
import dev.polystore.Direction;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Storage;
import dev.polystore.StoreFactory;
import dev.polystore.UnsupportedCapabilityException;
import dev.polystore.ValidationException;
import dev.polystore.event.AppendResult;
import dev.polystore.event.EventHandler;
import dev.polystore.event.EventIdConflictException;
import dev.polystore.event.EventPage;
import dev.polystore.event.EventStore;
import dev.polystore.event.ExpectedRevision;
import dev.polystore.event.NewEvent;
import dev.polystore.event.RecordedEvent;
import dev.polystore.event.StreamAggregate;
import dev.polystore.event.StreamPage;
import dev.polystore.event.Subscription;
import dev.polystore.event.SubscriptionDroppedException;
import dev.polystore.event.SubscriptionListener;
import dev.polystore.event.SubscriptionOptions;
import dev.polystore.event.WrongExpectedRevisionException;
import dev.polystore.lease.Lease;
import dev.polystore.lease.LeaseLostException;
import dev.polystore.testkit.KitBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The contract of event streams and subscriptions ({@code Storage.events(...)};
 * {@code docs/coordination.md}), through the public API only, so every backend inherits it by
 * subclassing. Tests that show what a backend survived print one line of figures tagged
 * {@code [reliability]}.
 *
 * <p><b>Implementors must provide</b> {@link #config(java.nio.file.Path)} (see {@link KitBase}).
 * <b>Implementors may override</b> {@link #sharedAcrossProcesses()} (false for an engine a second
 * process cannot open: the child-JVM tests are then skipped by name), and the sizes
 * {@link #appenders()}, {@link #appendsPerAppender()}, {@link #ambiguousAppends()},
 * {@link #restartEvents()}, {@link #streamedEvents()}. Sizes scale with {@value #SCALE_PROPERTY};
 * {@value #STREAM_EVENTS_PROPERTY} sets the streamed events directly (1,000,000 for the long run).
 *
 * <p>Event streams need {@link Capability#TRANSACTIONS}: without it every test is skipped naming
 * the capability, and the negative test checks that {@code events(...)} fails with
 * {@link UnsupportedCapabilityException}. The wake-up hook is checked both ways: with
 * {@link Capability#CHANGE_NOTIFICATIONS} an append must reach a subscriber that polls only once an
 * hour; without it, polling alone must deliver.
 */
public abstract class EventStoreContract extends KitBase {
    public static final String SCALE_PROPERTY = "polystore.reliability.scale";
    /** System property: how many events the streaming test appends and streams. */
    public static final String STREAM_EVENTS_PROPERTY = "polystore.coordination.stream-events";
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** The store under test (null without TRANSACTIONS). */
    protected EventStore<String> events;

    protected int scale() {
        String v = System.getProperty(SCALE_PROPERTY, "1").trim();
        int n = Integer.parseInt(v);
        if (n < 1) {
            throw new IllegalArgumentException(SCALE_PROPERTY + " must be >= 1, got " + v);
        }
        return n;
    }

    /** Whether a second process (a child JVM) can open the same engine with {@link #config}. */
    protected boolean sharedAcrossProcesses() {
        return true;
    }

    /** Concurrent appenders on one stream. */
    protected int appenders() {
        return 4;
    }

    /** Appends each concurrent appender makes. */
    protected int appendsPerAppender() {
        return 20 * scale();
    }

    /** Appends whose answers are lost in the ambiguous-append test. */
    protected int ambiguousAppends() {
        return 30 * scale();
    }

    /** Events of the stream a subscriber is killed and restarted on. */
    protected int restartEvents() {
        return 150 * scale();
    }

    /** Events streamed by the streaming tests. */
    protected int streamedEvents() {
        String fixed = System.getProperty(STREAM_EVENTS_PROPERTY);
        if (fixed != null && !fixed.isBlank()) {
            return Integer.parseInt(fixed.trim());
        }
        return 3_000 * scale();
    }

    @BeforeEach
    void openEvents() {
        if (storage.capabilities().has(Capability.TRANSACTIONS)) {
            events = storage.events(Codec.utf8());
        }
    }

    // ------------------------------------------------------------------ helpers

    /** A stream name unique to this test (its category is the test's tag). */
    protected String stream(String name) {
        return tag + "-" + name;
    }

    protected static List<NewEvent<String>> batch(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> NewEvent.of(prefix + "-" + i, i % 2 == 0 ? "even" : "odd",
                prefix + " data " + i)).collect(Collectors.toList());
    }

    /** Appends {@code n} events in appends as large as the backend allows; @return their ids in order. */
    protected List<String> fill(String stream, int n, String prefix) {
        List<String> ids = new ArrayList<>();
        int max = events.maxEventsPerAppend();
        for (int done = 0; done < n; ) {
            int k = Math.min(max, n - done);
            List<NewEvent<String>> b = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                String id = prefix + "-" + (done + i);
                b.add(NewEvent.of(id, "t" + ((done + i) % 3), "payload " + (done + i)));
                ids.add(id);
            }
            await(events.append(stream, done == 0 ? ExpectedRevision.noStream() : ExpectedRevision.exactly(done - 1L), b));
            done += k;
        }
        return ids;
    }

    protected static void waitUntil(BooleanSupplier condition, String what) {
        waitUntil(condition, what, WAIT);
    }

    protected static void waitUntil(BooleanSupplier condition, String what, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + wait + ": " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private void requireTransactions() {
        assumeCapability(Capability.TRANSACTIONS);
    }

    private List<RecordedEvent<String>> readAll(String stream) {
        List<RecordedEvent<String>> out = new ArrayList<>();
        await(events.forEach(stream, 0, out::add));
        return out;
    }

    private static void assertGapless(List<RecordedEvent<String>> read, String what) {
        for (int i = 0; i < read.size(); i++) {
            assertEquals(i, read.get(i).revision(), what + ": revision at position " + i);
        }
    }

    private Storage openWrapped(FaultyBackend[] slot) throws Exception {
        return StoreFactory.open(config(tempDir).withClock(clock), b -> slot[0] = new FaultyBackend(b));
    }

    /** A JSON-mapped event payload, to check the default codec end to end. */
    public record Shipment(String order, int parcels, List<String> tags) {
    }

    // ------------------------------------------------------------------ groups

    @Nested
    @DisplayName("append and read")
    class AppendAndRead {
        @BeforeEach
        void needs() {
            requireTransactions();
        }

        @Test
        @DisplayName("appends get gapless revisions from 0; reads page both ways with revision cursors")
        void appendAndRead() {
            String s = stream("read");
            AppendResult first = await(events.append(s, ExpectedRevision.noStream(), batch("a", 3)));
            assertEquals(new AppendResult(s, 0, 2, false), first);
            AppendResult second = await(events.append(s, ExpectedRevision.exactly(2), batch("b", 2)));
            assertEquals(new AppendResult(s, 3, 4, false), second);
            assertEquals(2, second.count());

            EventPage<String> all = await(events.read(s, 0, Direction.ASCENDING, 10));
            assertEquals(List.of("a-0", "a-1", "a-2", "b-0", "b-1"), all.events().stream().map(RecordedEvent::id).toList());
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L), all.events().stream().map(RecordedEvent::revision).toList());
            assertEquals("a data 1", all.events().get(1).data());
            assertEquals("odd", all.events().get(1).type());
            assertEquals(s, all.events().get(1).stream());
            assertEquals(OptionalLong.empty(), all.next());
            for (int i = 1; i < all.events().size(); i++) {
                assertFalse(all.events().get(i).recordedAt().isBefore(all.events().get(i - 1).recordedAt()),
                        "recordedAt never goes back within a stream");
            }

            EventPage<String> p1 = await(events.read(s, 1, Direction.ASCENDING, 2));
            assertEquals(List.of(1L, 2L), p1.events().stream().map(RecordedEvent::revision).toList());
            assertEquals(OptionalLong.of(3), p1.next());
            EventPage<String> p2 = await(events.read(s, 3, Direction.ASCENDING, 2));
            assertEquals(List.of(3L, 4L), p2.events().stream().map(RecordedEvent::revision).toList());
            if (p2.next().isPresent()) {
                assertEquals(List.of(), await(events.read(s, p2.next().getAsLong(), Direction.ASCENDING, 2)).events());
            }
            List<Long> backwards = new ArrayList<>();
            long from = Long.MAX_VALUE;
            for (int pages = 0; pages < 10; pages++) {
                EventPage<String> page = await(events.read(s, from, Direction.DESCENDING, 2));
                page.events().forEach(e -> backwards.add(e.revision()));
                if (page.next().isEmpty()) {
                    break;
                }
                from = page.next().getAsLong();
            }
            assertEquals(List.of(4L, 3L, 2L, 1L, 0L), backwards);

            List<Long> streamed = new ArrayList<>();
            assertEquals(3L, await(events.forEach(s, 2, e -> streamed.add(e.revision()))));
            assertEquals(List.of(2L, 3L, 4L), streamed);
            assertEquals(List.of(), await(events.read(stream("missing"), 0, Direction.ASCENDING, 10)).events());
        }

        @Test
        @DisplayName("the aggregate (count, revisions, times, counts per type) is kept by every append")
        void aggregate() {
            String s = stream("agg");
            assertEquals(Optional.empty(), await(events.aggregate(s)));
            await(events.append(s, ExpectedRevision.any(), batch("x", 3)));
            await(events.append(s, ExpectedRevision.any(), List.of(NewEvent.of("y", "special", "d"))));
            StreamAggregate a = await(events.aggregate(s)).orElseThrow();
            assertEquals(4, a.count());
            assertEquals(0, a.firstRevision());
            assertEquals(3, a.lastRevision());
            assertEquals(Map.of("even", 2L, "odd", 1L, "special", 1L), a.typeCounts());
            assertEquals(2, a.appends());
            List<RecordedEvent<String>> read = readAll(s);
            assertEquals(read.get(0).recordedAt(), a.firstRecordedAt());
            assertEquals(read.get(3).recordedAt(), a.lastRecordedAt());
        }

        @Test
        @DisplayName("data are encoded by the store's codec: a JSON record round-trips, metadata too")
        void json() {
            EventStore<Shipment> shipments = storage.events(Shipment.class);
            String s = stream("json");
            Shipment value = new Shipment("o-1", 3, List.of("fragile", "ünïcode"));
            await(shipments.append(s, ExpectedRevision.noStream(),
                    List.of(NewEvent.of("s1", "shipped", value).withMetadata(Map.of("actor", "ann")))));
            RecordedEvent<Shipment> read = await(shipments.read(s, 0, Direction.ASCENDING, 1)).events().get(0);
            assertEquals(value, read.data());
            assertEquals(Map.of("actor", "ann"), read.metadata());
            assertEquals(1, await(events.aggregate(s)).orElseThrow().count(), "views of any type share the streams");
        }
    }

    @Nested
    @DisplayName("expected revision")
    class Expected {
        @BeforeEach
        void needs() {
            requireTransactions();
        }

        @Test
        @DisplayName("a mismatch fails with WrongExpectedRevisionException naming the actual revision, and writes nothing")
        void mismatches() {
            String s = stream("exp");
            WrongExpectedRevisionException missing = awaitFailure(WrongExpectedRevisionException.class,
                    events.append(s, ExpectedRevision.streamExists(), batch("m", 1)));
            assertEquals(-1, missing.actualRevision());
            awaitFailure(WrongExpectedRevisionException.class, events.append(s, ExpectedRevision.exactly(0), batch("m", 1)));
            await(events.append(s, ExpectedRevision.noStream(), batch("a", 2)));
            WrongExpectedRevisionException exists = awaitFailure(WrongExpectedRevisionException.class,
                    events.append(s, ExpectedRevision.noStream(), batch("c", 1)));
            assertEquals(1, exists.actualRevision());
            assertTrue(exists.getMessage().contains("revision 1"), exists.getMessage());
            WrongExpectedRevisionException stale = awaitFailure(WrongExpectedRevisionException.class,
                    events.append(s, ExpectedRevision.exactly(0), batch("d", 1)));
            assertEquals(1, stale.actualRevision());
            assertEquals(s, stale.stream());
            assertEquals(2, await(events.aggregate(s)).orElseThrow().count(), "refused appends wrote nothing");
            assertEquals(new AppendResult(s, 2, 2, false),
                    await(events.append(s, ExpectedRevision.streamExists(), batch("e", 1))));
            assertEquals(new AppendResult(s, 3, 3, false), await(events.append(s, ExpectedRevision.any(), batch("f", 1))));
            assertEquals(new AppendResult(s, 4, 5, false),
                    await(events.append(s, ExpectedRevision.exactly(3), batch("g", 2))));
            assertThrows(ValidationException.class, () -> ExpectedRevision.exactly(-1));
        }
    }

    @Nested
    @DisplayName("idempotency")
    class Idempotency {
        @BeforeEach
        void needs() {
            requireTransactions();
        }

        @Test
        @DisplayName("repeating an append, in every expected-revision mode, returns the original revisions and writes nothing")
        void everyMode() {
            String s = stream("idem");
            List<ExpectedRevision> modes = List.of(ExpectedRevision.noStream(), ExpectedRevision.exactly(1),
                    ExpectedRevision.streamExists(), ExpectedRevision.any());
            long count = 0;
            for (int m = 0; m < modes.size(); m++) {
                List<NewEvent<String>> b = batch("mode" + m, 2);
                AppendResult original = await(events.append(s, modes.get(m), b));
                assertFalse(original.replayed());
                for (int repeat = 0; repeat < 2; repeat++) {
                    AppendResult again = await(events.append(s, modes.get(m), b));
                    assertEquals(original.firstRevision(), again.firstRevision(), "mode " + modes.get(m));
                    assertEquals(original.lastRevision(), again.lastRevision(), "mode " + modes.get(m));
                    assertTrue(again.replayed(), "a repeated append is reported as replayed");
                }
                count += 2;
                assertEquals(count, await(events.aggregate(s)).orElseThrow().count(),
                        "mode " + modes.get(m) + ": a repeated append wrote events twice");
            }
            assertEquals(count, readAll(s).size());
            assertEquals(count, readAll(s).stream().map(RecordedEvent::id).distinct().count());
        }

        @Test
        @DisplayName("ids already in the stream, but not as one earlier append, fail with EventIdConflictException")
        void conflicts() {
            String s = stream("conflict");
            await(events.append(s, ExpectedRevision.any(), batch("p", 3)));
            List<NewEvent<String>> mixed = List.of(NewEvent.of("p-1", "odd", "again"), NewEvent.of("q-0", "even", "new"));
            EventIdConflictException e = awaitFailure(EventIdConflictException.class,
                    events.append(s, ExpectedRevision.any(), mixed));
            assertEquals(Map.of("p-1", 1L), e.existing());
            awaitFailure(EventIdConflictException.class, events.append(s, ExpectedRevision.any(),
                    List.of(NewEvent.of("p-2", "x", "a"), NewEvent.of("p-1", "x", "b"))));
            // p-1 is at revision 1: an append of it expecting revision 1 would have put it at 2, so it is no retry.
            awaitFailure(WrongExpectedRevisionException.class, events.append(s, ExpectedRevision.exactly(1),
                    List.of(NewEvent.of("p-1", "odd", "x"))));
            // Expecting revision 0 it would have been at 1, where it is: a retry, answered with its revision.
            assertEquals(new AppendResult(s, 1, 1, true), await(events.append(s, ExpectedRevision.exactly(0),
                    List.of(NewEvent.of("p-1", "odd", "x")))));
            assertEquals(3, await(events.aggregate(s)).orElseThrow().count());
        }
    }

    @Nested
    @DisplayName("limits and validation")
    class Limits {
        @BeforeEach
        void needs() {
            requireTransactions();
        }

        @Test
        @DisplayName("an append that cannot fit one transaction, an oversized event, duplicate or bad ids fail before writing")
        void limits() {
            String s = stream("lim");
            int max = events.maxEventsPerAppend();
            assertTrue(max >= 1, "maxEventsPerAppend " + max);
            ValidationException tooMany = awaitFailure(ValidationException.class,
                    events.append(s, ExpectedRevision.any(), batch("big", max + 1)));
            assertTrue(tooMany.getMessage().contains("at most " + max), tooMany.getMessage());
            assertEquals(new AppendResult(s, 0, max - 1, false), await(events.append(s, ExpectedRevision.noStream(),
                    batch("fits", max))));
            awaitFailure(ValidationException.class, events.append(s, ExpectedRevision.any(),
                    List.of(NewEvent.of("huge", "t", "x".repeat(dev.polystore.Limits.MAX_ITEM_BYTES)))));
            awaitFailure(ValidationException.class, events.append(s, ExpectedRevision.any(),
                    List.of(NewEvent.of("dup", "t", "1"), NewEvent.of("dup", "t", "2"))));
            awaitFailure(ValidationException.class, events.append(s, ExpectedRevision.any(),
                    List.of(NewEvent.of("", "t", "1"))));
            awaitFailure(ValidationException.class, events.append(s, ExpectedRevision.any(),
                    List.of(NewEvent.of("x".repeat(257), "t", "1"))));
            awaitFailure(ValidationException.class, events.append(s, ExpectedRevision.any(), List.of()));
            awaitFailure(ValidationException.class, events.append("", ExpectedRevision.any(), batch("z", 1)));
            awaitFailure(ValidationException.class, events.append("x".repeat(513), ExpectedRevision.any(), batch("z", 1)));
            assertThrows(ValidationException.class, () -> NewEvent.of("id", " ", "blank type"));
            assertEquals(max, await(events.aggregate(s)).orElseThrow().count(), "nothing refused was written");
        }
    }

    @Nested
    @DisplayName("listing streams")
    class Listing {
        @BeforeEach
        void needs() {
            requireTransactions();
        }

        @Test
        @DisplayName("streams are listed by category and prefix from index items, in pages")
        void list() {
            List<String> names = List.of(tag + "a-1", tag + "a-2", tag + "a-3", tag + "b-1", tag + "ab");
            for (String n : names) {
                await(events.append(n, ExpectedRevision.noStream(), batch(n, 1)));
                await(events.append(n, ExpectedRevision.any(), batch(n + "x", 1)));
            }
            assertEquals(List.of(tag + "a-1", tag + "a-2", tag + "a-3"),
                    await(events.listStreams(tag + "a-", 100, null)).streams());
            assertEquals(List.of(tag + "a-2"), await(events.listStreams(tag + "a-2", 100, null)).streams());
            List<String> all = new ArrayList<>();
            String cursor = null;
            for (int pages = 0; pages < 10; pages++) {
                StreamPage page = await(events.listStreams(tag, 2, cursor));
                assertTrue(page.streams().size() <= 2);
                all.addAll(page.streams());
                if (page.cursor().isEmpty()) {
                    break;
                }
                cursor = page.cursor().get();
            }
            assertEquals(List.of(tag + "a-1", tag + "a-2", tag + "a-3", tag + "ab", tag + "b-1"), all);
        }
    }

    @Nested
    @DisplayName("concurrent appends")
    class Concurrency {
        @BeforeEach
        void needs() {
            requireTransactions();
        }

        @Test
        @DisplayName("concurrent appenders on one stream: gapless revisions, no event lost or duplicated, each appender's order kept")
        void concurrentAppenders() throws Exception {
            String s = stream("concurrent");
            int threads = appenders();
            int per = appendsPerAppender();
            AtomicLong exactRetries = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<AppendResult> results = new CopyOnWriteArrayList<>();
            CoordinationFigures figures = new CoordinationFigures(storage.backend(), "events concurrent appenders");
            long started = System.nanoTime();
            int written = 0;
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Thread> workers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int me = t;
                    // Half the appenders append at "any", half read-decide-append at an exact revision.
                    boolean exact = t % 2 == 1;
                    Thread w = new Thread(() -> {
                        try {
                            go.await();
                            for (int i = 0; i < per; i++) {
                                int n = 1 + (i % 3);
                                List<NewEvent<String>> b = new ArrayList<>();
                                for (int j = 0; j < n; j++) {
                                    b.add(NewEvent.of("w" + me + "-" + i + "-" + j, "w" + me, me + ":" + i + ":" + j));
                                }
                                if (!exact) {
                                    results.add(events.append(s, ExpectedRevision.any(), b).join());
                                    continue;
                                }
                                while (true) {
                                    long last = events.aggregate(s).join().map(StreamAggregate::lastRevision).orElse(-1L);
                                    ExpectedRevision e = last < 0 ? ExpectedRevision.noStream() : ExpectedRevision.exactly(last);
                                    try {
                                        results.add(events.append(s, e, b).join());
                                        break;
                                    } catch (RuntimeException ex) {
                                        if (!(LeaseContract.rootCause(ex) instanceof WrongExpectedRevisionException)) {
                                            throw ex;
                                        }
                                        exactRetries.incrementAndGet();
                                    }
                                }
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    }, "appender-" + t);
                    w.start();
                    workers.add(w);
                }
                go.countDown();
                for (Thread w : workers) {
                    w.join();
                }
                if (failure.get() != null) {
                    throw new AssertionError("an appender failed: " + failure.get(), failure.get());
                }
                List<RecordedEvent<String>> read = readAll(s);
                written = read.size();
                int expected = 0;
                for (int i = 0; i < per; i++) {
                    expected += 1 + (i % 3);
                }
                expected *= threads;
                assertEquals(expected, read.size(), "events lost or duplicated");
                assertGapless(read, "concurrent appends");
                assertEquals(expected, read.stream().map(RecordedEvent::id).distinct().count(), "an id appears twice");
                Map<String, List<String>> byWriter = new java.util.TreeMap<>();
                for (RecordedEvent<String> e : read) {
                    byWriter.computeIfAbsent(e.type(), k -> new ArrayList<>()).add(e.data());
                }
                for (int t = 0; t < threads; t++) {
                    List<String> mine = byWriter.get("w" + t);
                    List<String> inOrder = new ArrayList<>();
                    for (int i = 0; i < per; i++) {
                        for (int j = 0; j < 1 + (i % 3); j++) {
                            inOrder.add(t + ":" + i + ":" + j);
                        }
                    }
                    assertEquals(inOrder, mine, "appender " + t + "'s events out of order");
                }
                Set<Long> claimed = new HashSet<>();
                for (AppendResult r : results) {
                    for (long rev = r.firstRevision(); rev <= r.lastRevision(); rev++) {
                        assertTrue(claimed.add(rev), "revision " + rev + " reported to two appends");
                    }
                }
                assertEquals(expected, await(events.aggregate(s)).orElseThrow().count());
            } finally {
                figures.put("appenders", threads).put("appends each", per).put("events", written)
                        .put("exact-revision retries", exactRetries.get())
                        .put("seconds", String.format("%.1f", (System.nanoTime() - started) / 1e9)).print();
            }
        }
    }

    @Nested
    @DisplayName("ambiguous appends")
    class Ambiguous {
        @BeforeEach
        void needs() {
            requireTransactions();
        }

        @Test
        @DisplayName("appends whose answers are lost, retried by the store and by the caller: no duplicate, no gap")
        void lostAnswers() throws Exception {
            FaultyBackend[] faulty = new FaultyBackend[1];
            int appends = ambiguousAppends();
            long callerRetries = 0;
            long replayed = 0;
            long duplicates = -1;
            CoordinationFigures figures = new CoordinationFigures(storage.backend(), "events lost answers");
            try (Storage s2 = openWrapped(faulty)) {
                EventStore<String> ev = s2.events(Codec.utf8());
                String s = stream("lossy");
                long last = -1;
                Random random = new Random(appends);
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < appends; i++) {
                    boolean exact = i % 2 == 1;
                    int n = 1 + random.nextInt(3);
                    List<NewEvent<String>> b = new ArrayList<>();
                    for (int j = 0; j < n; j++) {
                        b.add(NewEvent.of("e" + i + "-" + j, "t", "v" + i));
                        ids.add("e" + i + "-" + j);
                    }
                    // Lost answers and a few timeouts are settled inside the store; five timeouts in a row
                    // exhaust its attempts: the caller sees OutcomeUnknownException and retries the same append.
                    switch ((i / 2) % 4) {
                        case 0 -> faulty[0].loseNextAnswers(1);
                        case 1 -> faulty[0].timeOutNextWritesUnsent(2);
                        case 2 -> faulty[0].loseNextAnswers(5);
                        default -> faulty[0].timeOutNextWritesUnsent(5);
                    }
                    ExpectedRevision e = exact ? (last < 0 ? ExpectedRevision.noStream() : ExpectedRevision.exactly(last))
                            : ExpectedRevision.any();
                    AppendResult r = null;
                    for (int attempt = 0; r == null; attempt++) {
                        assertTrue(attempt < 10, "append " + i + " did not settle in 10 caller retries");
                        try {
                            r = ev.append(s, e, b).get(60, TimeUnit.SECONDS);
                        } catch (java.util.concurrent.ExecutionException x) {
                            if (!(x.getCause() instanceof OutcomeUnknownException)) {
                                throw new AssertionError("append " + i + " failed with " + x.getCause(), x.getCause());
                            }
                            callerRetries++;
                        }
                    }
                    if (r.replayed()) {
                        replayed++;
                    }
                    assertEquals(last + 1, r.firstRevision(), "append " + i);
                    assertEquals(last + n, r.lastRevision(), "append " + i);
                    last = r.lastRevision();
                }
                List<RecordedEvent<String>> read = new ArrayList<>();
                await(ev.forEach(s, 0, read::add));
                duplicates = read.size() - read.stream().map(RecordedEvent::id).distinct().count();
                assertEquals(0, duplicates, "events written twice");
                assertEquals(ids, read.stream().map(RecordedEvent::id).toList(), "every event once, in order");
                assertGapless(read, "after lost answers");
                figures.put("answers lost", faulty[0].answersLost.get()).put("timed out unsent", faulty[0].timedOut.get());
            } finally {
                figures.put("appends", appends).put("caller retries", callerRetries).put("replayed answers", replayed)
                        .put("duplicates", duplicates).print();
            }
        }
    }

    @Nested
    @DisplayName("subscriptions")
    class Subscriptions {
        @BeforeEach
        void needs() {
            requireTransactions();
        }

        @Test
        @DisplayName("catch-up, then live: every event exactly once, in order; caught up reported; close completes")
        void catchUpThenLive() {
            String s = stream("sub");
            fill(s, 10, "c");
            List<Long> seen = new CopyOnWriteArrayList<>();
            List<Long> caught = new CopyOnWriteArrayList<>();
            Subscription sub = events.subscribe(s, SubscriptionOptions.builder().pollInterval(Duration.ofMillis(10))
                    .pageSize(4).listener(new SubscriptionListener() {
                        @Override
                        public void onCaughtUp(long lastRevision) {
                            caught.add(lastRevision);
                        }
                    }).build(), EventHandler.of(e -> seen.add(e.revision())));
            try {
                assertEquals(9L, await(sub.caughtUp()));
                assertTrue(sub.isCaughtUp());
                assertEquals(List.of(9L), caught);
                await(events.append(s, ExpectedRevision.exactly(9), batch("live", 3)));
                waitUntil(() -> seen.size() >= 13, "live events delivered: " + seen);
                assertEquals(LongsUpTo.list(13), seen);
                assertEquals(12, sub.lastAcknowledged());
            } finally {
                sub.close();
            }
            await(sub.done());
            assertEquals(LongsUpTo.list(13), seen, "nothing delivered twice or after close");
        }

        @Test
        @DisplayName("a named subscription resumes after its checkpoint; fromEnd delivers only new events")
        void resume() {
            String s = stream("resume");
            fill(s, 10, "r");
            List<Long> first = new CopyOnWriteArrayList<>();
            Subscription one = events.subscribe(s, SubscriptionOptions.named("projector"), EventHandler.of(e -> first.add(e.revision())));
            await(one.caughtUp());
            one.close();
            await(one.done());
            assertEquals(OptionalLong.of(9), await(events.checkpoints().load("projector", s)));
            await(events.append(s, ExpectedRevision.exactly(9), batch("more", 5)));
            List<Long> second = new CopyOnWriteArrayList<>();
            Subscription two = events.subscribe(s, SubscriptionOptions.named("projector"), EventHandler.of(e -> second.add(e.revision())));
            try {
                assertEquals(14L, await(two.caughtUp()));
                assertEquals(List.of(10L, 11L, 12L, 13L, 14L), second);
            } finally {
                two.close();
            }
            List<Long> live = new CopyOnWriteArrayList<>();
            Subscription tail = events.subscribe(s, SubscriptionOptions.builder().fromEnd()
                    .pollInterval(Duration.ofMillis(10)).build(), EventHandler.of(e -> live.add(e.revision())));
            try {
                assertEquals(14L, await(tail.caughtUp()));
                await(events.append(s, ExpectedRevision.exactly(14), batch("tail", 2)));
                waitUntil(() -> live.size() >= 2, "new events after fromEnd");
                assertEquals(List.of(15L, 16L), live);
            } finally {
                tail.close();
            }
        }

        @Test
        @DisplayName("a failing handler drops the subscription with its cause; the checkpoint stays at the last acknowledged event")
        void handlerFailure() {
            String s = stream("drop");
            fill(s, 6, "d");
            List<SubscriptionDroppedException> dropped = new CopyOnWriteArrayList<>();
            IllegalStateException boom = new IllegalStateException("handler gave up on 3");
            Subscription sub = events.subscribe(s, SubscriptionOptions.builder().name("dropper").listener(
                    new SubscriptionListener() {
                        @Override
                        public void onDropped(SubscriptionDroppedException error) {
                            dropped.add(error);
                        }
                    }).build(), e -> {
                        if (e.revision() == 3) {
                            throw boom;
                        }
                        return CompletableFuture.completedFuture(null);
                    });
            SubscriptionDroppedException e = awaitFailure(SubscriptionDroppedException.class, sub.done());
            assertEquals(boom, e.getCause());
            assertEquals(2, e.lastAcknowledged());
            waitUntil(() -> dropped.size() == 1, "onDropped called");
            assertEquals(OptionalLong.of(2), await(events.checkpoints().load("dropper", s)));
            List<Long> again = new CopyOnWriteArrayList<>();
            Subscription next = events.subscribe(s, SubscriptionOptions.named("dropper"), EventHandler.of(ev -> again.add(ev.revision())));
            try {
                await(next.caughtUp());
                assertEquals(List.of(3L, 4L, 5L), again, "the failed event is delivered again");
            } finally {
                next.close();
            }
        }

        @Test
        @DisplayName("transient failures are retried from the last acknowledged event, without loss or duplicates")
        void transientFailures() throws Exception {
            FaultyBackend[] faulty = new FaultyBackend[1];
            try (Storage s2 = openWrapped(faulty)) {
                EventStore<String> ev = s2.events(Codec.utf8());
                String s = stream("transient");
                await(ev.append(s, ExpectedRevision.noStream(), batch("t", 5)));
                List<Long> seen = new CopyOnWriteArrayList<>();
                AtomicInteger retries = new AtomicInteger();
                Subscription sub = ev.subscribe(s, SubscriptionOptions.builder().name("survivor")
                        .pollInterval(Duration.ofMillis(10)).maxRetryDelay(Duration.ofMillis(20))
                        .listener(new SubscriptionListener() {
                            @Override
                            public void onRetry(Throwable cause, int consecutiveFailures, Duration retryIn) {
                                retries.incrementAndGet();
                            }
                        }).build(), EventHandler.of(e -> seen.add(e.revision())));
                try {
                    await(sub.caughtUp());
                    faulty[0].down(true);
                    waitUntil(() -> retries.get() >= 3, "retries reported while the engine is down");
                    faulty[0].down(false);
                    await(ev.append(s, ExpectedRevision.exactly(4), batch("after", 5)));
                    waitUntil(() -> seen.size() >= 10, "events after the outage: " + seen);
                    assertEquals(LongsUpTo.list(10), seen);
                    assertFalse(sub.done().isDone(), "a transient failure must not drop the subscription");
                } finally {
                    sub.close();
                }
            }
        }

        @Test
        @DisplayName("with CHANGE_NOTIFICATIONS the backend wakes a subscriber that polls once an hour")
        void wakeUp() {
            assumeCapability(Capability.CHANGE_NOTIFICATIONS);
            live(Duration.ofHours(1), "the wake-up hook");
        }

        @Test
        @DisplayName("without CHANGE_NOTIFICATIONS polling alone delivers live events")
        void polling() {
            assumeNoCapability(Capability.CHANGE_NOTIFICATIONS);
            live(Duration.ofMillis(20), "polling");
        }

        private void live(Duration poll, String how) {
            String s = stream("live");
            await(events.append(s, ExpectedRevision.noStream(), batch("l", 1)));
            List<Long> seen = new CopyOnWriteArrayList<>();
            Subscription sub = events.subscribe(s, SubscriptionOptions.builder().pollInterval(poll).build(),
                    EventHandler.of(e -> seen.add(e.revision())));
            try {
                await(sub.caughtUp());
                for (int i = 1; i <= 3; i++) {
                    await(events.append(s, ExpectedRevision.exactly(i - 1), batch("l" + i, 1)));
                    int expected = i + 1;
                    // A notification arrives in milliseconds; 20 s is a hang bound on a loaded machine.
                    waitUntil(() -> seen.size() >= expected, "event " + i + " delivered through " + how,
                            Duration.ofSeconds(20));
                }
                assertEquals(LongsUpTo.list(4), seen);
            } finally {
                sub.close();
            }
        }

        @Test
        @DisplayName("a subscriber killed and restarted again and again: every event processed, in order, none skipped; duplicates only after acknowledgements not yet checkpointed")
        void killedAndRestarted() {
            for (int every : new int[] {1, 3}) {
                killAndRestart(every);
            }
        }

        private void killAndRestart(int checkpointEvery) {
            String s = stream("restart" + checkpointEvery);
            int n = restartEvents();
            fill(s, n, "k");
            KillableCheckpoints cps = new KillableCheckpoints(events.checkpoints());
            long seed = new Random().nextLong();
            Random random = new Random(seed);
            List<List<Long>> runs = new ArrayList<>();
            int handlerKills = 0;
            int saveKills = 0;
            long duplicates = 0;
            long skipped = 0;
            CoordinationFigures figures = new CoordinationFigures(storage.backend(), "events subscriber killed and restarted");
            try {
                Set<Long> processed = new HashSet<>();
                long maxProcessed = -1;
                for (int run = 0; processed.size() < n; run++) {
                    assertTrue(run < 10 * n, "no progress after " + run + " restarts");
                    cps.revive();
                    List<Long> effects = new CopyOnWriteArrayList<>();
                    runs.add(effects);
                    boolean killInHandler = random.nextBoolean();
                    int killAfter = 1 + random.nextInt(Math.max(1, n / 6));
                    boolean kill = run < 12;
                    AtomicInteger delivered = new AtomicInteger();
                    if (kill && !killInHandler) {
                        cps.killOnSave(killAfter);
                    }
                    Subscription sub = events.subscribe(s, SubscriptionOptions.builder().name("killed")
                            .checkpoints(cps).checkpointEvery(checkpointEvery).pollInterval(Duration.ofMillis(5))
                            .pageSize(7).build(), e -> {
                                if (cps.killed()) {
                                    return new CompletableFuture<>(); // the process is dead: nothing more happens
                                }
                                if (kill && killInHandler && delivered.incrementAndGet() == killAfter) {
                                    cps.kill(); // dies while handling e: its effect never happened
                                    return new CompletableFuture<>();
                                }
                                effects.add(e.revision());
                                return CompletableFuture.completedFuture(null);
                            });
                    // A run ends when it is killed, or when it has acknowledged the last event (then its
                    // effects must cover every event: any still missing was skipped).
                    waitUntil(() -> cps.killed() || (sub.isCaughtUp() && sub.lastAcknowledged() >= n - 1),
                            "run " + run + " to be killed or to catch up");
                    if (cps.killed()) {
                        if (killInHandler) {
                            handlerKills++;
                        } else {
                            saveKills++;
                        }
                    }
                    sub.close();
                    // Checks of this run: consecutive, starting no later than one after the last processed event.
                    if (!effects.isEmpty()) {
                        long start = effects.get(0);
                        if (start > maxProcessed + 1) {
                            skipped += start - maxProcessed - 1;
                        }
                        for (int i = 1; i < effects.size(); i++) {
                            assertEquals(effects.get(i - 1) + 1, (long) effects.get(i), "run " + run + " out of order: "
                                    + effects + " (seed " + seed + ")");
                        }
                        long again = effects.stream().filter(processed::contains).count();
                        duplicates += again;
                        assertTrue(again <= checkpointEvery, "run " + run + " redelivered " + again + " processed events; "
                                + "at most checkpointEvery = " + checkpointEvery + " may be (seed " + seed + ")");
                        for (long r : effects) {
                            processed.add(r);
                            maxProcessed = Math.max(maxProcessed, r);
                        }
                    }
                    if (!cps.killed()) {
                        Set<Long> all = new HashSet<>(processed);
                        all.addAll(effects);
                        skipped = Math.max(skipped, n - all.size()); // the gap above may count some already
                    }
                    assertEquals(0, skipped, "events were skipped: a run started after revision " + maxProcessed
                            + " + 1, so a checkpoint got ahead of the handler's acknowledgement (seed " + seed + ", runs "
                            + runs + ")");
                }
                assertEquals(n, processed.size());
            } finally {
                cps.release();
                figures.put("events", n).put("checkpointEvery", checkpointEvery).put("runs", runs.size())
                        .put("kills in handler", handlerKills).put("kills after ack before checkpoint", saveKills)
                        .put("redelivered", duplicates).put("skipped", skipped).put("seed", seed).print();
            }
        }

        private static boolean covers(Set<Long> processed, List<Long> effects, int n) {
            Set<Long> all = new HashSet<>(processed);
            all.addAll(effects);
            return all.size() >= n;
        }

        @Test
        @DisplayName("kill -9 of a subscriber's process: a restarted subscriber delivers every event, duplicates only around the kill")
        void killedProcess() throws Exception {
            Assumptions.assumeTrue(sharedAcrossProcesses(), () -> "backend '" + storage.backend()
                    + "' cannot be opened by a second process (sharedAcrossProcesses() is false): no kill -9 test");
            String s = stream("kill9");
            int n = restartEvents();
            fill(s, n, "k9");
            Set<Long> processed = new HashSet<>();
            List<Long> childEffects = new ArrayList<>();
            List<Long> restarted = new CopyOnWriteArrayList<>();
            CoordinationFigures figures = new CoordinationFigures(storage.backend(), "events subscriber kill -9");
            long redelivered = -1;
            int killAt = 1 + new Random().nextInt(n - 1);
            try {
                try (ChildProcess child = ChildProcess.start(config(tempDir), "256m", Duration.ofMinutes(5), "subscribe",
                        s, "kill9", "1")) {
                    String line;
                    // Count first, then read: a line read after the count was reached would be lost.
                    while (childEffects.size() < killAt && (line = child.readLine()) != null) {
                        if (line.startsWith("event ")) {
                            childEffects.add(Long.parseLong(line.split(" ")[1]));
                        }
                    }
                    child.kill();
                    // What the child printed after the kill decision is an effect too (it happened).
                    while ((line = child.readLine()) != null) {
                        if (line.startsWith("event ")) {
                            childEffects.add(Long.parseLong(line.split(" ")[1]));
                        }
                    }
                }
                assertFalse(childEffects.isEmpty(), "the child delivered nothing before it was killed");
                assertEquals(LongsUpTo.list(childEffects.size()), childEffects, "the child's deliveries in order");
                processed.addAll(childEffects);
                Subscription sub = events.subscribe(s, SubscriptionOptions.named("kill9"),
                        EventHandler.of(e -> restarted.add(e.revision())));
                try {
                    await(sub.caughtUp());
                } finally {
                    sub.close();
                }
                assertFalse(restarted.isEmpty() && childEffects.size() < n, "the restarted subscriber delivered nothing");
                long start = restarted.isEmpty() ? n : restarted.get(0);
                assertTrue(start <= childEffects.size(), "the restart began at " + start + " after " + childEffects.size()
                        + " processed events: events were skipped");
                redelivered = restarted.stream().filter(processed::contains).count();
                assertTrue(redelivered <= 1, "redelivered " + redelivered + " events; with checkpointEvery = 1 at most one "
                        + "(acknowledged but not yet checkpointed, or handled but not yet acknowledged) may be");
                processed.addAll(restarted);
                assertEquals(n, processed.size(), "every event processed");
            } finally {
                figures.put("events", n).put("killed after", childEffects.size()).put("restart delivered", restarted.size())
                        .put("redelivered", redelivered).put("checkpointEvery", 1).print();
            }
        }
    }

    @Nested
    @DisplayName("fenced appends")
    class Fenced {
        @BeforeEach
        void needs() {
            requireTransactions();
        }

        @Test
        @DisplayName("an append fenced by a lease is rejected after another holder took the lease over")
        void fencedAppend() {
            String s = stream("fenced");
            ManualTicker a = new ManualTicker();
            ManualTicker b = new ManualTicker();
            Duration ttl = Duration.ofSeconds(10);
            Lease old = LeaseContract.manual(storage, a, "old").tryAcquire(tag + "-job", ttl).join().orElseThrow();
            await(events.append(s, ExpectedRevision.noStream(), batch("ok", 2), old));
            var contender = LeaseContract.manual(storage, b, "new");
            assertEquals(Optional.empty(), await(contender.tryAcquire(tag + "-job", ttl)));
            b.advance(ttl);
            Lease fresh = await(contender.tryAcquire(tag + "-job", ttl)).orElseThrow();
            awaitFailure(LeaseLostException.class, events.append(s, ExpectedRevision.any(), batch("late", 1), old));
            assertEquals(2, await(events.aggregate(s)).orElseThrow().count(), "the old holder's append wrote nothing");
            assertEquals(new AppendResult(s, 2, 2, false),
                    await(events.append(s, ExpectedRevision.exactly(1), batch("new", 1), fresh)));
        }
    }

    @Nested
    @DisplayName("streaming")
    class Streaming {
        @BeforeEach
        void needs() {
            requireTransactions();
        }

        @Test
        @DisplayName("a long stream is streamed in order by forEach and by a subscription's catch-up")
        void inProcess() {
            String s = stream("long");
            int n = Math.min(streamedEvents(), 2_000 * scale());
            fill(s, n, "s");
            AtomicLong next = new AtomicLong();
            AtomicLong disorder = new AtomicLong();
            assertEquals((long) n, await(events.forEach(s, 0, e -> {
                if (e.revision() != next.getAndIncrement()) {
                    disorder.incrementAndGet();
                }
            })));
            assertEquals(0, disorder.get());
            AtomicLong delivered = new AtomicLong();
            Subscription sub = events.subscribe(s, SubscriptionOptions.builder().pageSize(1000).build(),
                    EventHandler.of(e -> {
                        if (e.revision() != delivered.getAndIncrement()) {
                            disorder.incrementAndGet();
                        }
                    }));
            try {
                assertEquals(n - 1L, await(sub.caughtUp()));
            } finally {
                sub.close();
            }
            assertEquals(n, delivered.get());
            assertEquals(0, disorder.get());
        }

        @Test
        @DisplayName("a stream is read through forEach by a process with a 128 MiB heap: memory stays bounded")
        void smallHeap() throws Exception {
            Assumptions.assumeTrue(sharedAcrossProcesses(), () -> "backend '" + storage.backend()
                    + "' cannot be opened by a second process (sharedAcrossProcesses() is false): no small-heap reader");
            String s = stream("heap");
            int n = streamedEvents();
            CoordinationFigures figures = new CoordinationFigures(storage.backend(), "events streamed at -Xmx128m");
            String result = "none";
            long appendStart = System.nanoTime();
            double appendSeconds = -1;
            double readSeconds = -1;
            try {
                fill(s, n, "h");
                appendSeconds = (System.nanoTime() - appendStart) / 1e9;
                long readStart = System.nanoTime();
                try (ChildProcess child = ChildProcess.start(config(tempDir), "128m", Duration.ofMinutes(30),
                        "stream-read", s)) {
                    List<String> out = child.readToEnd();
                    int exit = child.waitFor();
                    readSeconds = (System.nanoTime() - readStart) / 1e9;
                    result = out.stream().filter(l -> l.startsWith("result ")).findFirst().orElse("none");
                    assertEquals(0, exit, "the small-heap reader failed:\n" + String.join("\n", out));
                }
                assertTrue(result.contains("events=" + n + " "), "the reader saw every event: " + result);
                assertTrue(result.contains("ordered=true"), "in order: " + result);
            } finally {
                figures.put("events", n).put("append seconds", String.format("%.1f", appendSeconds))
                        .put("child read seconds", String.format("%.1f", readSeconds))
                        .put("child", result.replace("result ", "")).print();
            }
        }
    }

    @Nested
    @DisplayName("without TRANSACTIONS")
    class WithoutTransactions {
        @Test
        @DisplayName("events(...) fails with UnsupportedCapabilityException naming TRANSACTIONS")
        void unsupported() {
            assumeNoCapability(Capability.TRANSACTIONS);
            UnsupportedCapabilityException e = assertThrows(UnsupportedCapabilityException.class,
                    () -> storage.events(Codec.utf8()));
            assertEquals(Capability.TRANSACTIONS, e.capability());
        }
    }

    /** 0, 1, … n - 1 as a list. */
    static final class LongsUpTo {
        private LongsUpTo() {
        }

        static List<Long> list(long n) {
            List<Long> out = new ArrayList<>();
            for (long i = 0; i < n; i++) {
                out.add(i);
            }
            return Collections.unmodifiableList(out);
        }
    }

    /** The ids of a stream, in revision order (for subclasses' own tests). */
    protected List<String> ids(String stream) {
        return readAll(stream).stream().map(RecordedEvent::id).toList();
    }
}
