package dev.polystore.testkit.migration;

import static dev.polystore.testkit.KitAssertions.await;
import static dev.polystore.testkit.KitAssertions.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.polystore.Capability;
import dev.polystore.Codec;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Limits;
import dev.polystore.Store;
import dev.polystore.UnsupportedCapabilityException;
import dev.polystore.ValidationException;
import dev.polystore.spi.ImportMode;
import dev.polystore.spi.ImportOutcome;
import dev.polystore.migration.Migration;
import dev.polystore.spi.ScanPlan;
import dev.polystore.migration.ScanResult;
import dev.polystore.migration.StoredItem;
import dev.polystore.testkit.KitBase;
import dev.polystore.testkit.reliability.ExoticKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The scan and import contract ({@link Capability#SCAN}, {@link Capability#IMPORT}), checked
 * through {@link Migration}: every item of a store seen exactly once across segments (1, 2, 7
 * and 32 of them), resumption from every position gives the same pages, pages bounded in items
 * and bytes, expired items skipped, what a scan promises under concurrent writes, imports that
 * round-trip byte for byte with versions and expiry (exotic keys, 400 KB items), a repeated import
 * that changes nothing, {@link ImportMode#IF_NEWER} never going backwards against concurrent
 * writers, and conditional writes working on imported items. An undeclared capability must fail
 * with {@link UnsupportedCapabilityException}.
 *
 * <p><b>Implementors must provide</b> {@link #config(Path)}, as for every suite (see
 * {@link KitBase}). Each test uses stores of its own (a scan reads a whole store), so a shared
 * server is fine. Sizes are small enough for every {@code mvn verify}.
 */
public abstract class MigrationContract extends KitBase {
    /** The page size the tests scan with: small, so every segment has several pages. */
    protected static final int PAGE = 7;

    protected Migration migration() {
        return Migration.of(storage);
    }

    /** A store name unique to this test. */
    protected String storeName(String suffix) {
        return "mig_" + tag + "_" + suffix;
    }

    protected Store<byte[]> bytes(String store) {
        return storage.store(store, Codec.bytes());
    }

    /** Writes a data set with the kit's exotic keys over three partitions and some plain ones; returns key → payload. */
    protected Map<Key, byte[]> writeDataSet(String store, int plain) {
        Map<Key, byte[]> written = new LinkedHashMap<>();
        Random random = new Random(42);
        for (String pk : ExoticKeys.partitions(run)) {
            for (String sk : ExoticKeys.sortKeys()) {
                byte[] p = new byte[1 + random.nextInt(64)];
                random.nextBytes(p);
                written.put(Key.of(pk, sk), p);
            }
        }
        for (int i = 0; i < plain; i++) {
            byte[] p = ("value " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            written.put(Key.of(run + "plain" + (i % 9), String.format("s%04d", i)), p);
        }
        Store<byte[]> s = bytes(store);
        List<CompletableFuture<?>> puts = new ArrayList<>();
        written.forEach((k, v) -> puts.add(s.put(Item.of(k, v))));
        await(CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)));
        return written;
    }

    /** Reads one segment to its end, page by page; fails if it does not end within a bound of pages. */
    protected List<ScanResult> readSegment(String store, String position, int limit, int maxPages) {
        List<ScanResult> pages = new ArrayList<>();
        String p = position;
        while (p != null) {
            if (pages.size() >= maxPages) {
                fail("a segment did not end within " + maxPages + " pages: the scan positions do not advance (a page's "
                        + "next position must resume after it, not start the segment again)");
            }
            ScanResult page = await(migration().read(store, p, limit));
            assertTrue(page.items().size() <= limit, "a page held " + page.items().size() + " items, over the limit " + limit);
            pages.add(page);
            p = page.next();
        }
        return pages;
    }

    /** Every key read over all segments of a plan, with duplicates. */
    protected List<Key> readAll(String store, ScanPlan plan, int limit, int maxPages) {
        List<Key> keys = new ArrayList<>();
        for (String position : plan.positions()) {
            for (ScanResult page : readSegment(store, position, limit, maxPages)) {
                page.items().forEach(i -> keys.add(i.key()));
            }
        }
        return keys;
    }

    /** Fails listing duplicated, missing and unexpected keys (counts only, and at most five of each, abbreviated). */
    protected static void assertExactlyOnce(Set<Key> expected, List<Key> seen, String what) {
        Map<Key, Integer> counts = new HashMap<>();
        seen.forEach(k -> counts.merge(k, 1, Integer::sum));
        List<Key> twice = new ArrayList<>();
        counts.forEach((k, n) -> {
            if (n > 1) {
                twice.add(k);
            }
        });
        Set<Key> missing = new HashSet<>(expected);
        missing.removeAll(counts.keySet());
        Set<Key> unexpected = new HashSet<>(counts.keySet());
        unexpected.removeAll(expected);
        if (!twice.isEmpty() || !missing.isEmpty() || !unexpected.isEmpty()) {
            fail(what + ": " + expected.size() + " items expected exactly once, " + seen.size() + " seen; "
                    + twice.size() + " seen more than once (segments overlap?) " + sample(twice) + ", "
                    + missing.size() + " never seen (a boundary key dropped?) " + sample(missing) + ", "
                    + unexpected.size() + " not in the store " + sample(unexpected));
        }
    }

    private static String sample(java.util.Collection<Key> keys) {
        List<String> shown = new ArrayList<>();
        for (Key k : keys) {
            if (shown.size() == 5) {
                break;
            }
            String s = k.toString();
            shown.add(s.length() > 60 ? s.substring(0, 57) + "..." : s);
        }
        return shown.toString();
    }

    // ------------------------------------------------------------------ scan

    @Nested
    @DisplayName("scan (capability SCAN)")
    class Scan {
        @Test
        @DisplayName("stores() lists every store written to")
        void listsStores() {
            assumeCapability(Capability.SCAN);
            String a = storeName("a");
            String b = storeName("b");
            await(bytes(a).put(Item.of(pk("x"), "1", new byte[] {1})));
            await(bytes(b).put(Item.of(pk("x"), "1", new byte[] {2})));
            List<String> stores = await(migration().stores());
            assertTrue(stores.containsAll(List.of(a, b)), "stores() lists " + stores + ", missing " + a + " or " + b);
            List<String> sorted = new ArrayList<>(stores);
            sorted.sort(null);
            assertEquals(sorted, stores, "stores() must be sorted by name");
        }

        @Test
        @DisplayName("every item is seen exactly once over 1, 2, 7 and 32 segments, exotic keys included")
        void segmentsCoverEachItemOnce() {
            assumeCapability(Capability.SCAN);
            String store = storeName("cover");
            Map<Key, byte[]> written = writeDataSet(store, 60);
            for (int n : new int[] {1, 2, 7, 32}) {
                ScanPlan plan = await(migration().plan(store, n));
                assertEquals(n, plan.positions().size(), "a plan for " + n + " segments must have " + n + " positions");
                assertEquals(n, new HashSet<>(plan.positions()).size(), "segments must have distinct positions");
                List<Key> seen = readAll(store, plan, PAGE, 10_000);
                assertExactlyOnce(written.keySet(), seen, n + " segments");
            }
            ScanPlan one = await(migration().plan(store, 1));
            for (ScanResult page : readSegment(store, one.positions().get(0), 1000, 10_000)) {
                for (StoredItem item : page.items()) {
                    assertArrayEquals(written.get(item.key()), item.payload(), "a scanned payload differs from the one written");
                    assertEquals(1, item.version(), "a scanned version differs from the one written");
                }
            }
        }

        @Test
        @DisplayName("resuming from every position a page returned gives the same remaining pages")
        void resumeFromEveryPosition() {
            assumeCapability(Capability.SCAN);
            String store = storeName("resume");
            writeDataSet(store, 40);
            ScanPlan plan = await(migration().plan(store, 3));
            for (String start : plan.positions()) {
                List<ScanResult> pages = readSegment(store, start, 5, 10_000);
                List<Key> all = new ArrayList<>();
                pages.forEach(p -> p.items().forEach(i -> all.add(i.key())));
                int offset = 0;
                for (int i = 0; i < pages.size() - 1; i++) {
                    offset += pages.get(i).items().size();
                    List<Key> rest = new ArrayList<>();
                    readSegment(store, pages.get(i).next(), 5, 10_000).forEach(p -> p.items().forEach(it -> rest.add(it.key())));
                    assertEquals(all.subList(offset, all.size()), rest, "resuming after page " + (i + 1)
                            + " of a segment did not continue exactly where that page ended");
                }
            }
        }

        @Test
        @DisplayName("a position from elsewhere is refused with ValidationException")
        void foreignPosition() {
            assumeCapability(Capability.SCAN);
            String store = storeName("foreign");
            await(bytes(store).put(Item.of(pk("x"), "1", new byte[] {1})));
            awaitFailure(ValidationException.class, migration().read(store, "not-a-position", 10));
        }

        @Test
        @DisplayName("pages hold at most the limit and at most 4 MiB of payload beyond the first item (400 KB items)")
        void pagesAreBounded() {
            assumeCapability(Capability.SCAN);
            String store = storeName("big");
            Store<byte[]> s = bytes(store);
            int size = Limits.MAX_ITEM_BYTES - Limits.ITEM_OVERHEAD_BYTES - 64 - layerOverheadBytes();
            Set<Key> keys = new HashSet<>();
            List<CompletableFuture<?>> puts = new ArrayList<>();
            for (int i = 0; i < 14; i++) {
                byte[] p = new byte[size];
                p[0] = (byte) i;
                Key k = Key.of(pk("big"), String.format("i%02d", i));
                keys.add(k);
                puts.add(s.put(Item.of(k, p)));
            }
            await(CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)));
            ScanPlan plan = await(migration().plan(store, 1));
            List<Key> seen = new ArrayList<>();
            for (ScanResult page : readSegment(store, plan.positions().get(0), 1000, 1000)) {
                long bytes = 0;
                for (int i = 0; i < page.items().size(); i++) {
                    StoredItem item = page.items().get(i);
                    assertEquals(size, item.payload().length, "a 400 KB payload came back with another length");
                    if (i > 0) {
                        bytes += item.payload().length;
                    }
                    seen.add(item.key());
                }
                assertTrue(bytes <= Migration.MAX_PAGE_BYTES, "a page held " + bytes + " bytes of payload beyond its first "
                        + "item, over " + Migration.MAX_PAGE_BYTES + ": scans must bound the reader's memory");
            }
            assertExactlyOnce(keys, seen, "400 KB items");
        }

        @Test
        @DisplayName("expired items are never returned, and pages count what they skipped")
        void expiredSkipped() {
            assumeCapability(Capability.SCAN);
            assumeCapability(Capability.EXPIRY);
            String store = storeName("exp");
            Store<byte[]> s = bytes(store);
            Instant soon = clock.instant().plusSeconds(60).truncatedTo(ChronoUnit.SECONDS);
            Set<Key> live = new HashSet<>();
            List<CompletableFuture<?>> puts = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                Key k = Key.of(pk("e" + (i % 3)), String.format("k%03d", i));
                Item<byte[]> item = Item.of(k, new byte[] {(byte) i});
                if (i % 2 == 0) {
                    item = item.withExpiry(soon);
                } else {
                    live.add(k);
                }
                puts.add(s.put(item));
            }
            await(CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)));
            clock.advance(Duration.ofSeconds(61));
            ScanPlan plan = await(migration().plan(store, 2));
            List<Key> seen = new ArrayList<>();
            int skipped = 0;
            for (String position : plan.positions()) {
                for (ScanResult page : readSegment(store, position, 4, 1000)) {
                    page.items().forEach(i -> seen.add(i.key()));
                    skipped += page.expiredSkipped();
                }
            }
            assertExactlyOnce(live, seen, "live items with 15 expired ones among them");
            assertTrue(skipped <= 15, "pages counted " + skipped + " expired items skipped, but only 15 expired");
        }

        @Test
        @DisplayName("under concurrent writes no key is seen twice and every item present throughout is seen once")
        void concurrentWrites() throws Exception {
            assumeCapability(Capability.SCAN);
            String store = storeName("busy");
            Store<byte[]> s = bytes(store);
            Set<Key> stable = new HashSet<>();
            List<Key> updated = new ArrayList<>();
            List<Key> deleted = new ArrayList<>();
            List<CompletableFuture<?>> puts = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                Key k = Key.of(pk("c" + (i % 5)), String.format("k%04d", i * 2));
                puts.add(s.put(Item.of(k, new byte[] {1})));
                switch (i % 3) {
                    case 0 -> stable.add(k);
                    case 1 -> updated.add(k);
                    default -> deleted.add(k);
                }
            }
            await(CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)));
            Set<Key> inserted = ConcurrentHashMap.newKeySet();
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService writers = Executors.newFixedThreadPool(2);
            try {
                Future<?> w1 = writers.submit(() -> {
                    for (int round = 0; !stop.get() && round < 50; round++) {
                        for (Key k : updated) {
                            await(s.put(Item.of(k, new byte[] {(byte) round})));
                        }
                    }
                    return null;
                });
                Future<?> w2 = writers.submit(() -> {
                    for (int i = 0; i < deleted.size() && !stop.get(); i++) {
                        await(s.delete(deleted.get(i).pk(), deleted.get(i).sk()));
                        Key fresh = Key.of(pk("c" + (i % 5)), String.format("k%04d", i * 6 + 1));
                        inserted.add(fresh);
                        await(s.put(Item.of(fresh, new byte[] {9})));
                    }
                    return null;
                });
                ScanPlan plan = await(migration().plan(store, 4));
                List<Key> seen = readAll(store, plan, 5, 10_000);
                stop.set(true);
                w1.get(120, TimeUnit.SECONDS);
                w2.get(120, TimeUnit.SECONDS);
                Map<Key, Integer> counts = new HashMap<>();
                seen.forEach(k -> counts.merge(k, 1, Integer::sum));
                counts.forEach((k, n) -> assertEquals(1, n, "a key was returned " + n + " times by one scan under "
                        + "concurrent writes: a key must be returned at most once per scan"));
                Set<Key> throughout = new HashSet<>(stable);
                throughout.addAll(updated);
                for (Key k : throughout) {
                    assertTrue(counts.containsKey(k), "an item present from the start of the scan to its end was not "
                            + "returned (" + (stable.contains(k) ? "never written during the scan" : "updated during it") + ")");
                }
                Set<Key> possible = new HashSet<>(throughout);
                possible.addAll(deleted);
                possible.addAll(inserted);
                for (Key k : counts.keySet()) {
                    assertTrue(possible.contains(k), "the scan returned a key that was never in the store");
                }
            } finally {
                stop.set(true);
                writers.shutdownNow();
            }
        }

        @Test
        @DisplayName("without SCAN, stores(), plan() and read() fail with UnsupportedCapabilityException")
        void undeclaredScanFails() {
            assumeNoCapability(Capability.SCAN);
            String store = storeName("none");
            awaitFailure(UnsupportedCapabilityException.class, migration().stores());
            awaitFailure(UnsupportedCapabilityException.class, migration().plan(store, 2));
            awaitFailure(UnsupportedCapabilityException.class, migration().read(store, "x", 10));
        }
    }

    // ------------------------------------------------------------------ import

    /** Items with versions above 1, some expiring, a 400 KB one, over the exotic keys. */
    protected List<StoredItem> importData(boolean withExpiry) {
        List<StoredItem> items = new ArrayList<>();
        Random random = new Random(7);
        Instant later = clock.instant().plus(Duration.ofDays(3)).truncatedTo(ChronoUnit.SECONDS);
        int i = 0;
        for (String pk : ExoticKeys.partitions(run + "imp")) {
            for (String sk : ExoticKeys.sortKeys()) {
                byte[] p = new byte[i == 5 ? 300 * 1024 : random.nextInt(200)];
                random.nextBytes(p);
                items.add(new StoredItem(Key.of(pk, sk), p, 1 + (i % 9) * 3, withExpiry && i % 4 == 0 ? later : null));
                i++;
            }
        }
        return items;
    }

    protected static long count(List<ImportOutcome> outcomes, ImportOutcome.Status status) {
        return outcomes.stream().filter(o -> o.status() == status).count();
    }

    @Nested
    @DisplayName("import (capability IMPORT)")
    class Import {
        @Test
        @DisplayName("imported items round-trip byte for byte with their versions and expiry")
        void roundTrip() {
            assumeCapability(Capability.IMPORT);
            boolean expiry = storage.capabilities().has(Capability.EXPIRY);
            String store = storeName("rt");
            List<StoredItem> items = importData(expiry);
            List<ImportOutcome> outcomes = await(migration().write(store, items, ImportMode.IF_NEWER));
            assertEquals(items.size(), outcomes.size(), "one outcome per item");
            for (int i = 0; i < items.size(); i++) {
                assertEquals(ImportOutcome.Status.WRITTEN, outcomes.get(i).status(), "import into an empty store: "
                        + outcomes.get(i));
            }
            for (StoredItem item : items) {
                Optional<StoredItem> read = await(migration().get(store, item.key()));
                assertTrue(read.isPresent(), "an imported item was not found");
                assertEquals(item.version(), read.get().version(), "an import must keep the item's version");
                assertEquals(item.expiresAt(), read.get().expiresAt(), "an import must keep the item's expiry");
                assertArrayEquals(item.payload(), read.get().payload(), "an import must keep the payload byte for byte");
            }
            Item<byte[]> viaStore = await(bytes(store).get(items.get(3).key().pk(), items.get(3).key().sk())).orElseThrow();
            assertEquals(items.get(3).version(), viaStore.version(), "Store.get sees the imported version");
        }

        @Test
        @DisplayName("a repeated import is a no-op: every item kept at its version, nothing changed")
        void repeatedImportIsNoOp() {
            assumeCapability(Capability.IMPORT);
            String store = storeName("rep");
            List<StoredItem> items = importData(storage.capabilities().has(Capability.EXPIRY));
            await(migration().write(store, items, ImportMode.IF_NEWER));
            List<ImportOutcome> again = await(migration().write(store, items, ImportMode.IF_NEWER));
            for (int i = 0; i < items.size(); i++) {
                assertEquals(ImportOutcome.Status.KEPT, again.get(i).status(), "a repeated import must keep the item");
                assertEquals(items.get(i).version(), again.get(i).targetVersion(), "a kept item reports its version");
            }
            for (StoredItem item : items) {
                StoredItem read = await(migration().get(store, item.key())).orElseThrow();
                assertEquals(item, read, "a repeated import changed an item");
            }
        }

        @Test
        @DisplayName("IF_NEWER keeps a higher or equal version, replaces a lower one or an expired item; OVERWRITE replaces")
        void ifNewerSemantics() {
            assumeCapability(Capability.IMPORT);
            String store = storeName("newer");
            Migration m = migration();
            Key k = Key.of(pk("n"), "item");
            byte[] five = {5};
            await(m.write(store, List.of(new StoredItem(k, five, 5, null)), ImportMode.IF_NEWER));
            ImportOutcome older = await(m.write(store, List.of(new StoredItem(k, new byte[] {3}, 3, null)),
                    ImportMode.IF_NEWER)).get(0);
            assertEquals(ImportOutcome.kept(5), older, "an older version must not replace a newer one");
            assertArrayEquals(five, await(m.get(store, k)).orElseThrow().payload());
            ImportOutcome newer = await(m.write(store, List.of(new StoredItem(k, new byte[] {9}, 9, null)),
                    ImportMode.IF_NEWER)).get(0);
            assertEquals(ImportOutcome.Status.WRITTEN, newer.status(), "a newer version must replace an older one");
            assertEquals(9, await(m.get(store, k)).orElseThrow().version());
            ImportOutcome forced = await(m.write(store, List.of(new StoredItem(k, new byte[] {2}, 2, null)),
                    ImportMode.OVERWRITE)).get(0);
            assertEquals(ImportOutcome.Status.WRITTEN, forced.status(), "OVERWRITE writes whatever is there");
            assertEquals(new StoredItem(k, new byte[] {2}, 2, null), await(m.get(store, k)).orElseThrow());
            if (storage.capabilities().has(Capability.EXPIRY)) {
                Key e = Key.of(pk("n"), "expiring");
                Instant soon = clock.instant().plusSeconds(10).truncatedTo(ChronoUnit.SECONDS);
                await(m.write(store, List.of(new StoredItem(e, new byte[] {1}, 50, soon)), ImportMode.IF_NEWER));
                clock.advance(Duration.ofSeconds(11));
                ImportOutcome overExpired = await(m.write(store, List.of(new StoredItem(e, new byte[] {7}, 1, null)),
                        ImportMode.IF_NEWER)).get(0);
                assertEquals(ImportOutcome.Status.WRITTEN, overExpired.status(), "an expired item counts as absent");
                assertEquals(new StoredItem(e, new byte[] {7}, 1, null), await(m.get(store, e)).orElseThrow());
            }
        }

        @Test
        @DisplayName("an item already expired is not imported (EXPIRED)")
        void expiredNotImported() {
            assumeCapability(Capability.IMPORT);
            assumeCapability(Capability.EXPIRY);
            String store = storeName("gone");
            Key k = Key.of(pk("g"), "item");
            Instant past = clock.instant().minusSeconds(5).truncatedTo(ChronoUnit.SECONDS);
            ImportOutcome o = await(migration().write(store, List.of(new StoredItem(k, new byte[] {1}, 4, past)),
                    ImportMode.OVERWRITE)).get(0);
            assertEquals(ImportOutcome.Status.EXPIRED, o.status());
            assertEquals(Optional.empty(), await(migration().get(store, k)));
        }

        @Test
        @DisplayName("conditional writes work on imported items: ifVersion(imported version) succeeds, a stale one fails")
        void writesContinueAfterImport() {
            assumeCapability(Capability.IMPORT);
            String store = storeName("cont");
            Key k = Key.of(pk("w"), "item");
            await(migration().write(store, List.of(new StoredItem(k, "a".getBytes(), 7, null)), ImportMode.IF_NEWER));
            Store<String> s = storage.store(store, Codec.utf8());
            awaitFailure(ConditionFailedException.class, s.put(Item.of(k, "stale"), Condition.ifVersion(1)));
            Item<String> next = await(s.put(Item.of(k, "b"), Condition.ifVersion(7)));
            assertEquals(8, next.version(), "the write after an imported version 7 is version 8");
            StoredItem read = await(migration().get(store, k)).orElseThrow();
            long rewritten = await(migration().rewrite(store, read));
            assertEquals(9, rewritten, "a rewrite conditional on the version read is the next version");
            awaitFailure(ConditionFailedException.class, migration().rewrite(store, read));
        }

        @Test
        @DisplayName("IF_NEWER imports racing with writers never put an older version over a newer one")
        void importNeverGoesBackwards() throws Exception {
            assumeCapability(Capability.IMPORT);
            String store = storeName("race");
            Store<byte[]> s = bytes(store);
            List<Key> keys = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                keys.add(Key.of(pk("r"), "k" + i));
            }
            Map<Key, List<StoredItem>> history = new ConcurrentHashMap<>();
            for (int round = 0; round < 12; round++) {
                List<CompletableFuture<?>> writes = new ArrayList<>();
                for (Key k : keys) {
                    byte[] v = {(byte) round};
                    writes.add(s.put(Item.of(k, v)).thenAccept(written -> history.computeIfAbsent(k, x ->
                            java.util.Collections.synchronizedList(new ArrayList<>())).add(
                                    new StoredItem(k, v, written.version(), null))));
                }
                // Re-import an older state of every item at the same time (a late backfill page).
                List<StoredItem> stale = new ArrayList<>();
                for (Key k : keys) {
                    List<StoredItem> h = history.get(k);
                    if (h != null && !h.isEmpty()) {
                        stale.add(h.get(0));
                    }
                }
                CompletableFuture<List<ImportOutcome>> imported = migration().write(store, stale, ImportMode.IF_NEWER);
                await(CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)));
                await(imported);
            }
            for (Key k : keys) {
                StoredItem now = await(migration().get(store, k)).orElseThrow();
                assertEquals(12, now.version(), "after 12 writes an item must be at version 12, whatever was imported "
                        + "meanwhile: an IF_NEWER import put an older version over a newer one");
                assertArrayEquals(new byte[] {11}, now.payload());
            }
        }

        @Test
        @DisplayName("items that break a rule fail alone with ValidationException and are not written")
        void invalidItemsFailAlone() {
            assumeCapability(Capability.IMPORT);
            String store = storeName("bad");
            Key ok = Key.of(pk("b"), "ok");
            List<ImportOutcome> o = await(migration().write(store, List.of(
                    new StoredItem(Key.of(pk("b"), "v0"), new byte[] {1}, 0, null),
                    new StoredItem(ok, new byte[] {1}, 3, null),
                    new StoredItem(Key.of(pk("b"), "big"), new byte[Limits.MAX_ITEM_BYTES], 1, null),
                    new StoredItem(ok, new byte[] {2}, 4, null)), ImportMode.IF_NEWER));
            assertTrue(o.get(0).failure() instanceof ValidationException, "version 0: " + o.get(0));
            assertEquals(ImportOutcome.Status.WRITTEN, o.get(1).status());
            assertTrue(o.get(2).failure() instanceof ValidationException, "too large: " + o.get(2));
            assertTrue(o.get(3).failure() instanceof ValidationException, "a key twice in one call: " + o.get(3));
            assertEquals(3, await(migration().get(store, ok)).orElseThrow().version());
        }

        @Test
        @DisplayName("a store scanned in segments and imported elsewhere is the same store")
        void scanThenImport() {
            assumeCapability(Capability.IMPORT);
            assumeCapability(Capability.SCAN);
            String from = storeName("src");
            String to = storeName("dst");
            Map<Key, byte[]> written = writeDataSet(from, 30);
            Store<byte[]> s = bytes(from);
            Key twice = written.keySet().iterator().next();
            await(s.put(Item.of(twice, new byte[] {42})));
            written.put(twice, new byte[] {42});
            ScanPlan plan = await(migration().plan(from, 3));
            for (String position : plan.positions()) {
                for (ScanResult page : readSegment(from, position, PAGE, 10_000)) {
                    for (ImportOutcome o : await(migration().write(to, page.items(), ImportMode.IF_NEWER))) {
                        assertEquals(ImportOutcome.Status.WRITTEN, o.status(), String.valueOf(o));
                    }
                }
            }
            for (Map.Entry<Key, byte[]> e : written.entrySet()) {
                StoredItem a = await(migration().get(from, e.getKey())).orElseThrow();
                StoredItem b = await(migration().get(to, e.getKey())).orElseThrow();
                assertEquals(a, b, "an item differs after a copy");
            }
            assertEquals(2, await(migration().get(to, twice)).orElseThrow().version());
        }

        @Test
        @DisplayName("without IMPORT, write() fails with UnsupportedCapabilityException")
        void undeclaredImportFails() {
            assumeNoCapability(Capability.IMPORT);
            assertNotNull(storage);
            awaitFailure(UnsupportedCapabilityException.class, migration().write(storeName("none"),
                    List.of(new StoredItem(Key.of(pk("x"), "1"), new byte[] {1}, 1, null)), ImportMode.IF_NEWER));
            assertFalse(storage.capabilities().has(Capability.IMPORT));
        }
    }
}
