package dev.polystore.testkit;

import static dev.polystore.testkit.KitAssertions.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Store;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The hot-key transaction contract ({@code StorageContract.HotKeyTransactions}): 8 writers at
 * once, each committing transactions one after another that put one shared key unconditionally
 * (plus a key of their own, so each is a real multi-item transaction). Ordinary contention must
 * not make a transaction fail: every one commits, and the versions handed out for the shared key
 * are exactly 1 to N, each once (no two commits saw the same version), with the stored item at
 * version N holding the value of the commit that got N.
 */
final class HotKey {
    static final int WRITERS = 8;
    static final int TRANSACTIONS_PER_WRITER = 25;

    private HotKey() {
    }

    static void run(StorageContract kit) throws Exception {
        Store<String> hot = kit.strings();
        Store<String> own = kit.storage.store("kit_other", Codec.utf8());
        Key key = Key.of(kit.pk("hot"), "key");
        // Both stores ready before the race starts.
        await(own.put(Item.of(kit.pk("hot"), "warm-up", "x")));
        await(hot.put(Item.of(kit.pk("hot"), "warm-up", "x")));

        int total = WRITERS * TRANSACTIONS_PER_WRITER;
        Map<Long, String> committed = new ConcurrentHashMap<>();
        List<String> failures = new CopyOnWriteArrayList<>();
        List<String> duplicates = new CopyOnWriteArrayList<>();
        CyclicBarrier start = new CyclicBarrier(WRITERS);
        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        long began = System.nanoTime();
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                writers.add(pool.submit(() -> {
                    start.await();
                    for (int j = 0; j < TRANSACTIONS_PER_WRITER; j++) {
                        String value = "w" + writer + "-" + j;
                        try {
                            List<Long> versions = kit.storage.transaction()
                                    .put(hot, Item.of(key, value))
                                    .put(own, Item.of(kit.pk("hot"), "own-" + writer + "-" + j, value))
                                    .commit()
                                    .get(KitAssertions.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                            if (committed.putIfAbsent(versions.get(0), value) != null) {
                                duplicates.add("version " + versions.get(0) + " handed to " + value + " and "
                                        + committed.get(versions.get(0)));
                            }
                        } catch (ExecutionException e) {
                            failures.add(value + ": " + e.getCause());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : writers) {
                f.get(10, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
        Map<String, Integer> byKind = new TreeMap<>();
        for (String f : failures) {
            String kind = f.substring(f.indexOf(": ") + 2);
            kind = kind.contains(":") ? kind.substring(0, kind.indexOf(':')) : kind;
            byKind.merge(kind.substring(kind.lastIndexOf('.') + 1), 1, Integer::sum);
        }
        Item<String> stored = await(hot.get(key)).orElseThrow(() -> new AssertionError("the hot key is missing"));
        System.out.println("[reliability] " + kit.storage.backend() + " | hot key transactions | writers=" + WRITERS
                + " transactions=" + total + " committed=" + committed.size() + " failed=" + failures.size() + " "
                + byKind + " duplicate versions=" + duplicates.size() + " final version=" + stored.version()
                + " time=" + ms + " ms");
        System.out.flush();

        assertEquals(List.of(), failures, failures.size() + " of " + total + " transactional unconditional puts of "
                + "one key by " + WRITERS + " concurrent writers failed " + byKind + "; ordinary contention must not "
                + "fail a transaction");
        assertEquals(List.of(), duplicates, "two commits were handed the same version of the hot key");
        for (long v = 1; v <= total; v++) {
            assertTrue(committed.containsKey(v), "no commit was handed version " + v + " of the hot key; versions: "
                    + new TreeMap<>(committed).keySet());
        }
        assertEquals(total, stored.version(), "the hot key's version after " + total + " committed puts");
        assertEquals(committed.get((long) total), stored.value(), "the stored value is that of the commit handed the "
                + "last version");
    }
}
