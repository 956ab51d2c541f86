package dev.polystore.testkit.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.polystore.Capabilities;
import dev.polystore.Capability;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Key;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.memory.MemoryBackend;
import dev.polystore.spi.ImportMode;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract of a mirroring backend (a backend that writes to a primary and then, with the
 * primary's versions, to a secondary, such as {@code storage-mirror}'s): what the primary decides
 * reaches the secondary exactly; a failed secondary write never fails the caller and is repaired,
 * also after a restart; a failed primary write fails the caller and reaches nowhere; nothing is
 * acknowledged before the primary answered; reads come from the primary; concurrent writers
 * converge.
 *
 * <p>The kit builds both sides over the in-memory backend, each behind a switch that fails or
 * holds its writes. <b>Implementors provide</b> {@link #mirror} (a mirror over the two, keeping its
 * repair state in the directory given) and {@link #repair} (run its repair to completion).
 */
public abstract class MirrorContract {
    private static final String TABLE = "mirrored";

    /** Opens the mirror under test over {@code primary} and {@code secondary}; closing it closes them. */
    protected abstract StorageBackend mirror(StorageBackend primary, StorageBackend secondary, Path stateDir,
                                             Clock clock) throws Exception;

    /** Writes every key the mirror recorded for repair to the secondary again, and returns when done. */
    protected abstract void repair(StorageBackend mirror) throws Exception;

    /**
     * The engine under one side, opened anew for each test and closed by the kit after it: an
     * in-memory backend by default. Override to run the contract over real engines (for example
     * SQLite as primary and PostgreSQL as secondary); give each call its own database file or
     * table prefix, so that tests do not see each other's items.
     *
     * @param primary whether this is the primary side (else the secondary)
     */
    protected StorageBackend sideBackend(boolean primary, Clock clock) throws Exception {
        return new MemoryBackend(clock);
    }

    @TempDir
    protected Path stateDir;

    protected final Clock clock = Clock.systemUTC();
    protected Side primary;
    protected Side secondary;
    private final List<StorageBackend> opened = new ArrayList<>();

    /**
     * One side: a backend ({@link #sideBackend}) whose writes can be made to fail or wait, and whose
     * {@code close()} is ignored so that a mirror can be closed and opened again over it.
     */
    protected static final class Side extends ForwardingStorageBackend {
        volatile StoreException failWrites;
        volatile CompletableFuture<Void> holdWrites = CompletableFuture.completedFuture(null);

        Side(StorageBackend engine) {
            super(engine);
        }

        private <T> CompletableFuture<T> write(java.util.function.Supplier<CompletableFuture<T>> op) {
            StoreException f = failWrites;
            return holdWrites.thenCompose(v -> {
                StoreException now = failWrites != null ? failWrites : f;
                return now != null ? CompletableFuture.<T>failedFuture(now) : op.get();
            });
        }

        @Override
        public CompletableFuture<Long> put(WriteOp.Put put) {
            return write(() -> delegate.put(put));
        }

        @Override
        public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
            return write(() -> delegate.delete(delete));
        }

        @Override
        public CompletableFuture<Void> batchWrite(String table, List<WriteOp> writes) {
            return write(() -> delegate.batchWrite(table, writes));
        }

        @Override
        public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
            return write(() -> delegate.transact(operations));
        }

        @Override
        public CompletableFuture<List<dev.polystore.spi.ImportOutcome>> importItems(String table,
                List<RawItem> items, ImportMode mode) {
            return write(() -> delegate.importItems(table, items, mode));
        }

        @Override
        public void close() {
            // Kept open across mirrors; closed by the kit after the test.
        }

        Optional<RawItem> item(Key key) {
            return delegate.get(TABLE, key).join();
        }
    }

    @BeforeEach
    void sides() throws Exception {
        primary = new Side(sideBackend(true, clock));
        secondary = new Side(sideBackend(false, clock));
        primary.delegate().prepareTable(TABLE).join();
        secondary.delegate().prepareTable(TABLE).join();
    }

    @AfterEach
    void closeAll() {
        for (StorageBackend b : opened) {
            b.close();
        }
        if (primary != null) {
            primary.delegate().close();
        }
        if (secondary != null) {
            secondary.delegate().close();
        }
    }

    private StorageBackend open() throws Exception {
        StorageBackend m = mirror(primary, secondary, stateDir, clock);
        opened.add(m);
        m.prepareTable(TABLE).get(30, TimeUnit.SECONDS);
        return m;
    }

    private static Key key(int i) {
        return Key.of("mirror#" + i, "item");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static WriteOp.Put put(Key key, String value, Condition condition) {
        return new WriteOp.Put(TABLE, key, bytes(value), null, condition);
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    private static Throwable failure(CompletableFuture<?> f) throws Exception {
        try {
            f.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            while (c instanceof CompletionException && c.getCause() != null) {
                c = c.getCause();
            }
            return c;
        }
        return null;
    }

    /** Both sides hold the same items (payload, version, expiry) at {@code keys}. */
    private void assertSidesEqual(List<Key> keys, String when) {
        Map<String, String> differ = new TreeMap<>();
        for (Key k : keys) {
            Optional<RawItem> p = primary.item(k);
            Optional<RawItem> s = secondary.item(k);
            if (!p.equals(s)) {
                differ.put(k.pk(), "primary " + p.map(Object::toString).orElse("none") + ", secondary "
                        + s.map(Object::toString).orElse("none"));
            }
        }
        assertTrue(differ.isEmpty(), when + ": the secondary differs from the primary at " + differ.size()
                + " key(s): " + differ);
    }

    @Test
    @DisplayName("puts, deletes, transactions and batches reach the secondary with the primary's versions and expiry")
    void writesReachSecondaryExactly() throws Exception {
        StorageBackend m = open();
        Instant expiry = clock.instant().plus(Duration.ofDays(1)).truncatedTo(ChronoUnit.SECONDS);
        assertEquals(1L, await(m.put(put(key(1), "a", Condition.none()))));
        assertEquals(2L, await(m.put(put(key(1), "b", Condition.ifVersion(1)))));
        await(m.put(new WriteOp.Put(TABLE, key(2), bytes("x"), expiry, Condition.ifAbsent())));
        await(m.put(put(key(3), "c", Condition.none())));
        assertTrue(await(m.delete(new WriteOp.Delete(TABLE, key(3), Condition.ifExists()))));
        Capabilities caps = m.capabilities();
        if (caps.has(Capability.TRANSACTIONS)) {
            List<Long> v = await(m.transact(List.of(put(key(4), "t", Condition.ifAbsent()),
                    new WriteOp.Put(TABLE, key(1), bytes("t1"), null, Condition.ifVersion(2)),
                    new WriteOp.Delete(TABLE, key(2), Condition.ifExists()))));
            assertEquals(List.of(1L, 3L, 0L), v, "the transaction's versions come from the primary");
        }
        if (caps.has(Capability.BATCH)) {
            await(m.batchWrite(TABLE, List.of(put(key(5), "b5", Condition.none()), put(key(6), "b6", Condition.none()),
                    new WriteOp.Delete(TABLE, key(4), Condition.none()))));
        }
        List<Key> keys = List.of(key(1), key(2), key(3), key(4), key(5), key(6));
        assertTrue(primary.item(key(1)).isPresent(), "the primary holds what was written");
        assertSidesEqual(keys, "right after the writes were acknowledged");
    }

    @Test
    @DisplayName("a failed secondary write does not fail the caller, and is repaired, also after the mirror is reopened")
    void secondaryFailureIsRepairedNeverLost() throws Exception {
        StorageBackend m = open();
        await(m.put(put(key(2), "before", Condition.none())));
        secondary.failWrites = new UnavailableException("secondary down (injected)", null);
        assertEquals(1L, await(m.put(put(key(1), "a", Condition.none()))),
                "a write the primary acknowledged must succeed although the secondary failed");
        assertEquals(2L, await(m.put(put(key(1), "b", Condition.ifVersion(1)))));
        assertTrue(await(m.delete(new WriteOp.Delete(TABLE, key(2), Condition.none()))));
        assertEquals(1L, await(m.put(put(key(3), "c", Condition.ifAbsent()))));
        List<Key> keys = List.of(key(1), key(2), key(3));
        assertTrue(secondary.item(key(1)).isEmpty(), "the injected failure kept the secondary's write out");
        // The process stops before the secondary is back: the repair must survive it.
        m.close();
        secondary.failWrites = null;
        StorageBackend again = open();
        repair(again);
        assertSidesEqual(keys, "after the secondary came back and the reopened mirror repaired");
        assertEquals(2L, secondary.item(key(1)).orElseThrow().version(), "repaired with the primary's version");
    }

    @Test
    @DisplayName("a failed primary write fails the caller and reaches neither side")
    void primaryFailureFailsCaller() throws Exception {
        StorageBackend m = open();
        primary.failWrites = new UnavailableException("primary down (injected)", null);
        Throwable put = failure(m.put(put(key(1), "a", Condition.none())));
        assertInstanceOf(UnavailableException.class, put, "the primary's failure is the caller's");
        Throwable del = failure(m.delete(new WriteOp.Delete(TABLE, key(1), Condition.none())));
        assertInstanceOf(UnavailableException.class, del, "the primary's failure is the caller's");
        primary.failWrites = null;
        repair(m);
        assertTrue(secondary.item(key(1)).isEmpty(), "a write the primary refused must not reach the secondary");
        assertTrue(primary.item(key(1)).isEmpty());
    }

    @Test
    @DisplayName("a write is not acknowledged before the primary answered")
    void notAcknowledgedBeforePrimary() throws Exception {
        StorageBackend m = open();
        CompletableFuture<Void> gate = new CompletableFuture<>();
        primary.holdWrites = gate;
        CompletableFuture<Long> f = m.put(put(key(1), "a", Condition.none()));
        Thread.sleep(300);
        assertFalse(f.isDone(), "the write was acknowledged while the primary had not answered");
        primary.failWrites = new UnavailableException("primary failed the held write (injected)", null);
        gate.complete(null);
        assertInstanceOf(UnavailableException.class, failure(f), "the primary's answer is the caller's");
        primary.failWrites = null;
        primary.holdWrites = CompletableFuture.completedFuture(null);
        assertTrue(secondary.item(key(1)).isEmpty(), "a write the primary refused must not reach the secondary");
    }

    @Test
    @DisplayName("conditions are decided by the primary, whatever the secondary holds; reads come from the primary")
    void primaryDecides() throws Exception {
        StorageBackend m = open();
        Instant later = clock.instant().plus(Duration.ofDays(1)).truncatedTo(ChronoUnit.SECONDS);
        secondary.delegate().importItems(TABLE, List.of(new RawItem(key(1), bytes("stale"), 5, later)),
                ImportMode.OVERWRITE).join();
        assertTrue(await(m.get(TABLE, key(1))).isEmpty(), "reads come from the primary, which has no item");
        assertEquals(1L, await(m.put(put(key(1), "new", Condition.ifAbsent()))), "ifAbsent holds on the primary");
        assertEquals(2L, await(m.put(put(key(1), "newer", Condition.ifVersion(1)))));
        Throwable refused = failure(m.put(put(key(1), "no", Condition.ifVersion(5))));
        assertInstanceOf(ConditionFailedException.class, refused, "ifVersion(5) fails on the primary (version 2)");
        repair(m);
        assertSidesEqual(List.of(key(1)), "after repair");
    }

    @Test
    @DisplayName("8 concurrent writers on shared keys (puts, conditional puts, deletes): the sides converge")
    void concurrentWritersConverge() throws Exception {
        StorageBackend m = open();
        int writers = 8;
        int keys = 12;
        int opsEach = 150;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> done = new ArrayList<>();
        try {
            for (int w = 0; w < writers; w++) {
                int writer = w;
                done.add(pool.submit(() -> {
                    start.await();
                    int acknowledged = 0;
                    for (int i = 0; i < opsEach; i++) {
                        Key k = key(ThreadLocalRandom.current().nextInt(keys));
                        int kind = ThreadLocalRandom.current().nextInt(10);
                        CompletableFuture<?> f;
                        if (kind < 5) {
                            f = m.put(put(k, "w" + writer + "-" + i, Condition.none()));
                        } else if (kind < 8) {
                            long v = m.get(TABLE, k).get(30, TimeUnit.SECONDS).map(RawItem::version).orElse(0L);
                            f = m.put(put(k, "c" + writer + "-" + i, v == 0 ? Condition.ifAbsent() : Condition.ifVersion(v)));
                        } else {
                            f = m.delete(new WriteOp.Delete(TABLE, k, Condition.none()));
                        }
                        Throwable x = failure(f);
                        if (x == null) {
                            acknowledged++;
                        } else if (!(x instanceof ConditionFailedException)) {
                            fail("writer " + writer + ": unexpected failure " + x);
                        }
                    }
                    return acknowledged;
                }));
            }
            start.countDown();
            int total = 0;
            for (Future<Integer> f : done) {
                total += f.get(5, TimeUnit.MINUTES);
            }
            assertTrue(total > 0, "no write was acknowledged");
        } finally {
            pool.shutdownNow();
        }
        List<Key> all = new ArrayList<>();
        for (int i = 0; i < keys; i++) {
            all.add(key(i));
        }
        repair(m);
        assertSidesEqual(all, "after 8 concurrent writers");
    }

    @Test
    @DisplayName("capabilities are those both sides have")
    void capabilitiesAreTheIntersection() throws Exception {
        StorageBackend m = open();
        for (Capability c : Capability.values()) {
            if (m.capabilities().has(c)) {
                assertTrue(primary.capabilities().has(c) && secondary.capabilities().has(c),
                        "the mirror declares " + c + " which a side lacks");
            }
        }
    }
}
