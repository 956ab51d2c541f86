package dev.polystore.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Condition;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import dev.polystore.cli.Copier;
import dev.polystore.cli.CopyOptions;
import dev.polystore.cli.JobSummary;
import dev.polystore.cli.Verifier;
import dev.polystore.cli.VerifyReport;
import dev.polystore.migration.Migration;
import dev.polystore.spi.StorageBackend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runbook of docs/migration.md end to end, SQLite file A to SQLite file B (two engines of one
 * provider, as {@code sqlite:a} and {@code sqlite:b}), under 8 concurrent writers: switch to the
 * mirror, backfill with the copier while they write, reconcile and verify (0 differences), flip
 * primary and secondary, flip back, drop the mirror; after each step every acknowledged write is
 * there (0 lost writes) on both sides.
 */
class MirrorRunbookTest {
    private static final String STORE = "orders";
    private static final int WRITERS = 8;
    private static final int OWN_KEYS = 40;

    @TempDir
    Path dir;

    /** The last acknowledged state of every writer-owned key: value, version; absent = deleted. */
    private final Map<String, Optional<long[]>> expectedVersion = new ConcurrentHashMap<>();
    private final Map<String, String> expectedValue = new ConcurrentHashMap<>();
    private final AtomicLong acknowledged = new AtomicLong();

    private StorageConfig engine(String file) {
        return StorageConfig.builder().backend("sqlite").set("sqlite.path", dir.resolve(file).toString()).build();
    }

    private StorageConfig mirror(String primary, String secondary) {
        return StorageConfig.builder().backend("mirror")
                .set("mirror.primary", "sqlite:" + primary)
                .set("mirror.secondary", "sqlite:" + secondary)
                .set("mirror.repair_log", dir.resolve("repair-" + primary + "-to-" + secondary + ".log").toString())
                .set(primary + ".path", dir.resolve(primary + ".db").toString())
                .set(secondary + ".path", dir.resolve(secondary + ".db").toString())
                .build();
    }

    private static String own(int writer, int k) {
        return "w" + writer + "#" + k;
    }

    /** Runs 8 writers against {@code storage} until {@code stop}; each owns its keys and shares 5 hot ones. */
    private List<Future<?>> startWriters(Storage storage, AtomicBoolean stop, ExecutorService pool,
                                         AtomicReference<Throwable> failure) {
        Store<String> store = storage.store(STORE, String.class);
        List<Future<?>> all = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            all.add(pool.submit(() -> {
                int op = 0;
                try {
                    while (!stop.get()) {
                        op++;
                        ThreadLocalRandom r = ThreadLocalRandom.current();
                        if (r.nextInt(5) == 0) {
                            String hot = "hot#" + r.nextInt(5);
                            store.put(Item.of(hot, "item", "w" + writer + "-" + op)).get(60, TimeUnit.SECONDS);
                            continue;
                        }
                        String pk = own(writer, r.nextInt(OWN_KEYS));
                        Optional<long[]> before = expectedVersion.getOrDefault(pk, Optional.empty());
                        String value = pk + "-" + op;
                        int kind = r.nextInt(10);
                        if (kind < 2) {
                            store.delete(pk, "item").get(60, TimeUnit.SECONDS);
                            expectedVersion.put(pk, Optional.empty());
                            expectedValue.remove(pk);
                        } else {
                            Condition c = kind < 6 ? Condition.none()
                                    : before.map(v -> Condition.ifVersion(v[0])).orElse(Condition.ifAbsent());
                            Item<String> written = store.put(Item.of(pk, "item", value), c).get(60, TimeUnit.SECONDS);
                            long want = before.map(v -> v[0] + 1).orElse(1L);
                            if (written.version() != want) {
                                throw new AssertionError(pk + ": version " + written.version() + ", expected " + want);
                            }
                            expectedVersion.put(pk, Optional.of(new long[] {want}));
                            expectedValue.put(pk, value);
                        }
                        acknowledged.incrementAndGet();
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        return all;
    }

    private void runWriters(Storage storage, long millis, Runnable meanwhile) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        try {
            List<Future<?>> writers = startWriters(storage, stop, pool, failure);
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            meanwhile.run();
            while (System.nanoTime() < until) {
                Thread.sleep(20);
            }
            stop.set(true);
            for (Future<?> f : writers) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
        if (failure.get() != null) {
            throw new AssertionError("a writer failed", failure.get());
        }
    }

    /** Every writer-owned key on {@code file} is exactly as last acknowledged. */
    private void assertNoLostWrites(String file, String when) throws Exception {
        Map<String, String> lost = new TreeMap<>();
        try (Storage s = StoreFactory.open(engine(file))) {
            Store<String> store = s.store(STORE, String.class);
            for (int w = 0; w < WRITERS; w++) {
                for (int k = 0; k < OWN_KEYS; k++) {
                    String pk = own(w, k);
                    Optional<Item<String>> got = store.get(pk, "item").get(60, TimeUnit.SECONDS);
                    Optional<long[]> want = expectedVersion.getOrDefault(pk, Optional.empty());
                    String wantText = want.map(v -> "v" + v[0] + " " + expectedValue.get(pk)).orElse("none");
                    String gotText = got.map(i -> "v" + i.version() + " " + i.value()).orElse("none");
                    if (!wantText.equals(gotText)) {
                        lost.put(pk, "expected " + wantText + ", found " + gotText);
                    }
                }
            }
        }
        assertTrue(lost.isEmpty(), when + ": " + file + " lost " + lost.size() + " acknowledged write(s): " + lost);
    }

    private VerifyReport verify(String from, String to) {
        try (Storage a = StoreFactory.open(engine(from)); Storage b = StoreFactory.open(engine(to))) {
            return new Verifier(Migration.of(a), Migration.of(b), 4, 100).verify(List.of(STORE), 20);
        }
    }

    private static MirrorBackend mirrorOf(StorageBackend[] holder) {
        return (MirrorBackend) holder[0];
    }

    @Test
    @DisplayName("switch to the mirror, backfill, verify 0 differences, flip, flip back, drop the mirror: 0 lost writes")
    void runbookUnderEightWriters() throws Exception {
        // Before: the application writes to A alone.
        try (Storage a = StoreFactory.open(engine("a.db"))) {
            runWriters(a, 1500, () -> { });
        }
        long beforeMirror = acknowledged.get();

        // 1. Switch the application to the mirror (primary A, secondary B); 2. backfill while it writes.
        StorageBackend[] backend = new StorageBackend[1];
        AtomicReference<JobSummary> copied = new AtomicReference<>();
        try (Storage app = StoreFactory.open(mirror("a", "b"), b -> backend[0] = b)) {
            runWriters(app, 3000, () -> {
                try (Storage a = StoreFactory.open(engine("a.db")); Storage b = StoreFactory.open(engine("b.db"))) {
                    CopyOptions options = CopyOptions.defaults().withSegments(4).withPageSize(20)
                            .withCheckpointDir(dir.resolve("checkpoints"));
                    copied.set(new Copier(Migration.of(a), Migration.of(b), "a.db->b.db").copy(options));
                }
            });
            assertTrue(copied.get().clean() && copied.get().addsUp(), "backfill: " + copied.get());
            // 3. Deletes that raced the backfill (read by the copy before, written after): the mirror fixes them.
            VerifyReport first = verify("a.db", "b.db");
            long reconciled = mirrorOf(backend).reconcile(STORE).get(5, TimeUnit.MINUTES);
            // A key deleted and created again during the backfill may have been recorded for repair (the secondary
            // held the copy's older life at a higher version): the repair writes the primary's item over it.
            int recorded = mirrorOf(backend).pendingRepairs();
            assertEquals(0, mirrorOf(backend).repair().get(5, TimeUnit.MINUTES), "keys still waiting for repair");
            System.out.printf("mirror runbook: %,d writes before the mirror, %,d during the backfill; copy: %s; "
                            + "first verify %,d difference(s); reconcile rewrote %,d key(s); %d key(s) repaired%n", beforeMirror,
                    acknowledged.get() - beforeMirror, copied.get().total(), first.differences(), reconciled,
                    recorded);
        }
        VerifyReport afterBackfill = verify("a.db", "b.db");
        assertEquals(0, afterBackfill.differences(), "after backfill and verify: " + afterBackfill);
        assertNoLostWrites("a.db", "after the backfill");
        assertNoLostWrites("b.db", "after the backfill");

        // 4. Flip: B is the primary, A the secondary.
        try (Storage app = StoreFactory.open(mirror("b", "a"))) {
            runWriters(app, 1500, () -> { });
        }
        assertNoLostWrites("b.db", "after the flip");
        assertNoLostWrites("a.db", "after the flip");
        assertEquals(0, verify("b.db", "a.db").differences(), "after the flip");

        // Rollback: flip back to A as the primary.
        try (Storage app = StoreFactory.open(mirror("a", "b"))) {
            runWriters(app, 1500, () -> { });
        }
        assertNoLostWrites("a.db", "after flipping back");
        assertNoLostWrites("b.db", "after flipping back");
        assertEquals(0, verify("a.db", "b.db").differences(), "after flipping back");

        // 5. Drop the mirror: the application on B alone finds every acknowledged write.
        try (Storage b = StoreFactory.open(engine("b.db"))) {
            runWriters(b, 500, () -> { });
        }
        assertNoLostWrites("b.db", "after dropping the mirror");
        System.out.printf("mirror runbook: %,d acknowledged writes in all, 0 lost%n", acknowledged.get());
    }
}
