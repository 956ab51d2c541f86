package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static dev.polystore.sqlite.StatementEvictionTest.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Condition;
import dev.polystore.Health;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.UnavailableException;
import dev.polystore.spi.ConfigSection;
import dev.polystore.spi.WriteOp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, section 2: the writer thread never dies silently. An {@link Error} anywhere in its
 * loop (a write, the COMMIT, the background purge, the completion executor) fails only what it
 * hit, and the writer goes on; if it cannot even clean up, it stops loudly: every queued and
 * later write fails at once with a typed error, health turns unhealthy, close returns.
 */
class WriterFailureTest {
    @TempDir
    Path dir;

    private static final Map<String, String> SETTINGS = Map.of("expiry_purge_interval_s", "0");
    private static final Predicate<JdbcFaults.Call> WRITER = JdbcFaults.onConnection(0);

    private static long unexpected(Storage storage) {
        return Long.parseLong(await(storage.health()).details().get("writer_unexpected_errors"));
    }

    @Test
    void anErrorInAWriteFailsItsGroupAsNotWrittenAndTheWriterGoesOn() {
        JdbcFaults faults = new JdbcFaults();
        try (Storage storage = Sqlite.open(dir.resolve("a.db"), SETTINGS, faults)) {
            Store<String> s = Sqlite.strings(storage);
            await(s.put(Item.of("p", "a", "1")));
            // The 2nd upsert: the 1st is the gate write's (see Sqlite.inOneGroup).
            faults.arm(2, SqliteFault.ERROR, WRITER.and(JdbcFaults.method("executeUpdate")));
            List<CompletableFuture<Item<String>>> group = Sqlite.inOneGroup(s, faults, () -> List.of(
                    s.put(Item.of("p", "b", "1")), s.put(Item.of("p", "c", "1")), s.put(Item.of("p", "d", "1"))));
            for (CompletableFuture<Item<String>> f : group) {
                UnavailableException e = failure(UnavailableException.class, f);
                assertTrue(e.getMessage().contains("nothing was written"), e.getMessage());
            }
            assertEquals(1, faults.injected());
            for (String sk : List.of("b", "c", "d")) {
                assertTrue(await(s.get("p", sk)).isEmpty());
                assertEquals(1, await(s.put(Item.of("p", sk, "2"), Condition.ifAbsent())).version());
            }
            Health h = await(storage.health());
            assertTrue(h.healthy(), h.toString());
            assertEquals(1, unexpected(storage));
        }
    }

    @Test
    void anErrorWhileCommittingIsOutcomeUnknownAndTheWriterGoesOn() {
        JdbcFaults faults = new JdbcFaults();
        try (Storage storage = Sqlite.open(dir.resolve("c.db"), SETTINGS, faults)) {
            Store<String> s = Sqlite.strings(storage);
            await(s.put(Item.of("p", "a", "1")));
            faults.arm(1, SqliteFault.ERROR, WRITER.and(JdbcFaults.method("execute")).and(JdbcFaults.sql("COMMIT")));
            OutcomeUnknownException e = failure(OutcomeUnknownException.class, s.put(Item.of("p", "b", "1")));
            assertEquals(Key.of("p", "b"), e.key().orElseThrow());
            assertEquals(1, await(s.put(Item.of("p", "c", "1"))).version());
            assertTrue(await(storage.health()).healthy());
        }
    }

    @Test
    void anErrorInTheBackgroundPurgeDoesNotStopTheWriter() throws Exception {
        JdbcFaults faults = new JdbcFaults();
        try (Storage storage = Sqlite.open(dir.resolve("p.db"), Map.of("expiry_purge_interval_s", "1"), faults)) {
            Store<String> s = Sqlite.strings(storage);
            await(s.put(Item.of("p", "a", "1")));
            // The purge's DELETE throws an Error (it used to catch RuntimeException only, and the thread died).
            faults.arm(1, SqliteFault.ERROR, WRITER.and(JdbcFaults.method("executeUpdate"))
                    .and(JdbcFaults.sql("DELETE FROM")).and(c -> c.sql().contains("expires_at <=")));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (faults.injected() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(1, faults.injected(), "the purge ran and hit the error");
            for (int i = 0; i < 5; i++) {
                assertEquals(1, await(s.put(Item.of("p", "after" + i, "1"))).version());
            }
            assertTrue(await(storage.health()).healthy());
            assertTrue(unexpected(storage) >= 1);
        }
    }

    /** The completion executor refuses with an Error (no thread can be started): futures complete anyway. */
    @Test
    void anErrorFromTheCompletionExecutorStillCompletesEveryFuture() throws Exception {
        Path db = dir.resolve("x.db");
        SqliteSettings settings = SqliteSettings.from(new ConfigSection("storage.sqlite", Map.of("path", db.toString())));
        Connection c = new Connections(settings).openWriter();
        Transactions tx = new Transactions(settings.busyTimeout());
        Schema.migrate(c, db, Clock.systemUTC(), Schema.CURRENT, tx);
        StatementCache cache = new StatementCache(c);
        AtomicInteger refused = new AtomicInteger();
        Executor failing = r -> {
            refused.incrementAndGet();
            throw new JdbcFaults.InjectedError("unable to create a thread");
        };
        Writer w = new Writer(cache, tx, new SqliteErrors(db.toString(), 5000), Clock.systemUTC(), failing, 100,
                Duration.ZERO, "test-writer");
        w.start();
        try {
            await(w.submit(new Writer.Request<Void>(1, () -> "create store", null, (wr, now) -> {
                wr.createTable("kit");
                return null;
            })));
            List<CompletableFuture<Long>> puts = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                WriteOp.Put put = new WriteOp.Put("kit", Key.of("p", "k" + i), "v".getBytes(StandardCharsets.UTF_8),
                        null, Condition.none());
                puts.add(w.submit(new Writer.Request<>(1, () -> "put", put.key(), (wr, now) -> wr.put(put, now, -1))));
            }
            for (CompletableFuture<Long> p : puts) {
                assertEquals(1L, await(p));
            }
            assertTrue(refused.get() >= 2, refused + " completions refused");
            assertEquals(21, w.committedRequests());
            assertTrue(w.failure().isEmpty());
        } finally {
            w.stop();
            w.awaitStopped();
            cache.close();
        }
    }

    /**
     * Every engine call throws an Error, so the writer cannot even roll back: it stops, fails the
     * 50 queued writes and every later one at once, says so in health; reads go on; close returns.
     */
    @Test
    void aWriterThatCannotCleanUpStopsLoudly() {
        JdbcFaults faults = new JdbcFaults();
        Path db = dir.resolve("f.db");
        List<CompletableFuture<Item<String>>> queued = new ArrayList<>();
        long closeMillis;
        try (Storage storage = Sqlite.open(db, SETTINGS, faults)) {
            Store<String> s = Sqlite.strings(storage);
            await(s.put(Item.of("p", "acked", "1")));
            JdbcFaults.Gate gate = faults.hold(Sqlite.WRITER_BEGIN);
            CompletableFuture<Item<String>> first = s.put(Item.of("p", "first", "1"));
            try {
                assertTrue(gate.awaitReached(Duration.ofSeconds(60)));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            for (int i = 0; i < 50; i++) {
                queued.add(s.put(Item.of("p", "q" + i, "1")));
            }
            faults.armFrom(1, SqliteFault.ERROR, WRITER);
            gate.open();
            failure(UnavailableException.class, first);
            for (CompletableFuture<Item<String>> f : queued) {
                UnavailableException e = failure(UnavailableException.class, f);
                assertTrue(e.getMessage().contains("writer stopped"), e.getMessage());
            }
            faults.disarm();
            // Later writes fail at once, typed.
            CompletableFuture<Item<String>> later = s.put(Item.of("p", "later", "1"));
            assertTrue(later.isDone(), "a write to a stopped writer fails at once");
            UnavailableException e = failure(UnavailableException.class, later);
            assertTrue(e.getMessage().contains("close and reopen"), e.getMessage());
            Health h = await(storage.health());
            assertFalse(h.healthy(), h.toString());
            assertTrue(h.details().get("error").contains("writer stopped"), h.details().toString());
            // Reads are served by the readers, which are fine.
            assertEquals("1", await(s.get("p", "acked")).orElseThrow().value());
            long start = System.nanoTime();
            storage.close();
            closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }
        try (Storage reopened = Sqlite.open(db)) {
            Store<String> s = Sqlite.strings(reopened);
            assertEquals("1", await(s.get("p", "acked")).orElseThrow().value());
            assertTrue(await(s.get("p", "first")).isEmpty());
            assertEquals(1, await(s.put(Item.of("p", "first", "1"), Condition.ifAbsent())).version());
        }
        System.out.println("[reliability] sqlite | writer stopped | every engine call throws an Error: queued writes "
                + "failed=" + (queued.size() + 1) + " (UnavailableException) later writes failed at once=1 health="
                + "unhealthy reads=ok close took " + closeMillis + " ms; reopened: acked present, failed absent");
    }
}
