package dev.polystore.testkit.index;

import static dev.polystore.testkit.KitAssertions.await;
import static dev.polystore.testkit.KitAssertions.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Capability;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Index;
import dev.polystore.IndexNotReadyException;
import dev.polystore.IndexQuery;
import dev.polystore.IndexStatus;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Page;
import dev.polystore.Store;
import dev.polystore.StoreException;
import dev.polystore.UniqueIndexViolationException;
import dev.polystore.ValidationException;
import dev.polystore.testkit.KitBase;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract of declared secondary indexes ({@code docs/indexes.md}), which every backend with
 * {@link Capability#TRANSACTIONS} runs: entries follow every put, move and delete in the same
 * write; sorted, multi-key and unique indexes; random histories of puts, deletes and conditional
 * writes compared with an in-memory model (the keys each step touched after it, every key every 24
 * steps; 0 mismatches); concurrent writers
 * moving items between keys (never a stale or missing entry); unique-key races (exactly one
 * winner); writes that would exceed the backend's transaction limit fail before writing; the
 * build of an index declared on a store with items; {@code Storage.unwrap} refusing a type the
 * backend does not have. Backends without transactions are skipped with the capability's name.
 *
 * <p><b>Implementors must provide</b> {@link #config(java.nio.file.Path)} (see {@link KitBase}).
 * Every test uses a store of its own, so a shared engine is fine.
 */
public abstract class IndexContract extends KitBase {

    /**
     * Operations of the random history, 240 by default; a backend whose engine is slow in tests
     * (an emulator over HTTP) may shorten it, never below 100.
     */
    protected int historyLength() {
        return 240;
    }

    /** A fresh store of this test, with the kit's three indexes. */
    protected Store<Doc> docs() {
        assumeCapability(Capability.TRANSACTIONS);
        return storage.store(tag + "ix", Doc.CODEC, Doc.OPTIONS);
    }

    private static Item<Doc> item(String pk, Doc doc) {
        return Item.of(pk, "0", doc);
    }

    /** Every item of index key {@code key}, read page by page with pages of {@code pageSize}. */
    private static List<Item<Doc>> all(Index<Doc> index, IndexQuery query, int pageSize) {
        List<Item<Doc>> out = new ArrayList<>();
        IndexQuery q = query.limit(pageSize);
        while (true) {
            Page<Doc> page = await(index.query(q));
            out.addAll(page.items());
            if (page.cursor().isEmpty()) {
                return out;
            }
            q = q.after(page.cursor().get());
        }
    }

    private static List<String> pks(List<Item<Doc>> items) {
        List<String> out = new ArrayList<>();
        items.forEach(i -> out.add(i.pk()));
        return out;
    }

    // ------------------------------------------------------------------ basics

    @Test
    @DisplayName("an entry follows its item: put, move to another key, change of sort key, delete")
    void entriesFollowTheItem() {
        Store<Doc> s = docs();
        Index<Doc> byStatus = s.index("byStatus");
        await(s.put(item("a", Doc.of("OPEN", "2"))));
        await(s.put(item("b", Doc.of("OPEN", "1"))));
        await(s.put(item("c", Doc.of("DONE", "1"))));
        assertEquals(List.of("b", "a"), pks(await(byStatus.query("OPEN"))), "OPEN in rank order");
        assertEquals(List.of("c"), pks(await(byStatus.query("DONE"))));

        await(s.put(item("a", Doc.of("DONE", "0"))));
        assertEquals(List.of("b"), pks(await(byStatus.query("OPEN"))), "a moved away from OPEN");
        assertEquals(List.of("a", "c"), pks(await(byStatus.query("DONE"))), "a moved to DONE, first by rank");

        await(s.put(item("a", Doc.of("DONE", "9"))));
        assertEquals(List.of("c", "a"), pks(await(byStatus.query("DONE"))), "a's new rank orders it last");

        assertTrue(await(s.delete("a", "0")));
        assertEquals(List.of("c"), pks(await(byStatus.query("DONE"))), "a deleted");
        assertEquals(List.of(), pks(await(byStatus.query("NONE"))));
    }

    @Test
    @DisplayName("a query returns the item as written (value and version), in pages, both directions, with ranges")
    void pagesAndRanges() {
        Store<Doc> s = docs();
        Index<Doc> byStatus = s.index("byStatus");
        List<String> expected = new ArrayList<>();
        List<CompletableFuture<?>> writes = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            String rank = String.format("%03d", i);
            writes.add(s.put(item("p" + (24 - i), Doc.of("OPEN", rank).withNote("n" + i))));
            expected.add("p" + (24 - i));
        }
        await(CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)));
        for (int pageSize : new int[] {1, 4, 25, 100}) {
            assertEquals(expected, pks(all(byStatus, IndexQuery.key("OPEN"), pageSize)), "page size " + pageSize);
        }
        List<String> reversed = new ArrayList<>(expected);
        Collections.reverse(reversed);
        assertEquals(reversed, pks(all(byStatus, IndexQuery.key("OPEN").descending(), 7)));
        assertEquals(expected.subList(10, 20), pks(all(byStatus, IndexQuery.key("OPEN").between("010", "019"), 3)));
        assertEquals(expected.subList(20, 25), pks(all(byStatus, IndexQuery.key("OPEN").prefix("02"), 2)));

        Item<Doc> first = await(byStatus.query(IndexQuery.key("OPEN").limit(1))).items().get(0);
        Item<Doc> stored = await(s.get("p24", "0")).orElseThrow();
        assertEquals(stored.value(), first.value());
        assertEquals(stored.version(), first.version());
        assertEquals(Key.of("p24", "0"), first.key());

        Page<Doc> page = await(byStatus.query(IndexQuery.key("OPEN").limit(2)));
        awaitFailure(ValidationException.class, byStatus.query(IndexQuery.key("DONE").after(page.cursor().get())));
        awaitFailure(ValidationException.class, s.index("byTag").query(IndexQuery.key("x").prefix("a")));
    }

    @Test
    @DisplayName("a multi-key index gives an item one entry per distinct key; keys gained and lost move it")
    void multiKey() {
        Store<Doc> s = docs();
        Index<Doc> byTag = s.index("byTag");
        await(s.put(item("a", Doc.of(null, null).withTags("red", "blue", "red"))));
        await(s.put(item("b", Doc.of(null, null).withTags("blue"))));
        assertEquals(List.of("a"), pks(await(byTag.query("red"))));
        assertEquals(List.of("a", "b"), pks(await(byTag.query("blue"))));
        await(s.put(item("a", Doc.of(null, null).withTags("green"))));
        assertEquals(List.of(), pks(await(byTag.query("red"))));
        assertEquals(List.of("b"), pks(await(byTag.query("blue"))));
        assertEquals(List.of("a"), pks(await(byTag.query("green"))));
    }

    @Test
    @DisplayName("a unique index refuses a second item with the same key, and frees a key its item gives up")
    void unique() {
        Store<Doc> s = docs();
        Index<Doc> byEmail = s.index("byEmail");
        await(s.put(item("a", Doc.of(null, null).withEmail("x@example.org"))));
        UniqueIndexViolationException e = awaitFailure(UniqueIndexViolationException.class,
                s.put(item("b", Doc.of(null, null).withEmail("x@example.org"))));
        assertEquals("byEmail", e.index());
        assertTrue(e instanceof ConditionFailedException);
        assertTrue(await(s.get("b", "0")).isEmpty(), "nothing of b was written");
        assertEquals("a", await(byEmail.get("x@example.org")).orElseThrow().pk());

        // Rewriting the holder keeps its key.
        await(s.put(item("a", Doc.of("OPEN", "1").withEmail("x@example.org"))));
        assertEquals("OPEN", await(byEmail.get("x@example.org")).orElseThrow().value().status());

        await(s.put(item("a", Doc.of(null, null).withEmail("y@example.org"))));
        assertTrue(await(byEmail.get("x@example.org")).isEmpty(), "a gave up x@");
        await(s.put(item("b", Doc.of(null, null).withEmail("x@example.org"))));
        assertEquals("b", await(byEmail.get("x@example.org")).orElseThrow().pk());
        assertEquals("a", await(byEmail.get("y@example.org")).orElseThrow().pk());
    }

    @Test
    @DisplayName("conditional writes: a failed condition writes neither item nor entry; transactions move entries atomically")
    void conditionsAndTransactions() {
        Store<Doc> s = docs();
        Index<Doc> byStatus = s.index("byStatus");
        Item<Doc> a = await(s.put(item("a", Doc.of("OPEN", "1"))));
        awaitFailure(ConditionFailedException.class, s.put(item("a", Doc.of("DONE", "1")), Condition.ifVersion(a.version() + 5)));
        awaitFailure(ConditionFailedException.class, s.put(item("a", Doc.of("DONE", "1")), Condition.ifAbsent()));
        assertEquals(List.of("a"), pks(await(byStatus.query("OPEN"))));
        assertEquals(List.of(), pks(await(byStatus.query("DONE"))));

        await(storage.transaction()
                .put(s, item("a", Doc.of("DONE", "1")), Condition.ifVersion(a.version()))
                .put(s, item("b", Doc.of("DONE", "2").withEmail("b@example.org")), Condition.ifAbsent())
                .commit());
        assertEquals(List.of("a", "b"), pks(await(byStatus.query("DONE"))));
        assertEquals(List.of(), pks(await(byStatus.query("OPEN"))));

        // A transaction whose second write clashes on the unique key writes nothing at all.
        awaitFailure(ConditionFailedException.class, storage.transaction()
                .put(s, item("a", Doc.of("OPEN", "1")), Condition.none())
                .put(s, item("c", Doc.of("OPEN", "2").withEmail("b@example.org")), Condition.none())
                .commit());
        assertEquals(List.of("a", "b"), pks(await(byStatus.query("DONE"))));
        assertEquals(List.of(), pks(await(byStatus.query("OPEN"))));
        assertTrue(await(s.get("c", "0")).isEmpty());
    }

    @Test
    @DisplayName("a put needing more operations than one transaction allows fails before writing, saying why")
    void costLimit() {
        Store<Doc> s = docs();
        int max = storage.capabilities().maxTransactionItems();
        String[] tags = new String[max];
        for (int i = 0; i < tags.length; i++) {
            tags[i] = "t" + i;
        }
        ValidationException e = awaitFailure(ValidationException.class, s.put(item("a", Doc.of(null, null).withTags(tags))));
        assertTrue(e.getMessage().contains(String.valueOf(max)), e.getMessage());
        assertTrue(await(s.get("a", "0")).isEmpty(), "nothing was written");
        assertEquals(List.of(), pks(await(s.index("byTag").query("t0"))));
    }

    @Test
    @DisplayName("partition keys reserved for index entries are refused on an indexed store")
    void reservedKeys() {
        Store<Doc> s = docs();
        awaitFailure(ValidationException.class, s.put(Item.of("~ix/byStatus/OPEN", "x", Doc.of("OPEN", "1"))));
        awaitFailure(ValidationException.class, s.get("~ix/", "catalog"));
    }

    // ------------------------------------------------------------------ random history

    @Test
    @DisplayName("a random history of puts, deletes and conditional writes: the index keys each step touches equal the model after it, every index every 24 steps")
    void randomHistory() {
        Store<Doc> s = docs();
        Random random = new Random(tag.hashCode());
        Map<String, Item<Doc>> model = new TreeMap<>();
        String[] statuses = {"OPEN", "DONE", "WAIT", null};
        String[] tags = {"red", "blue", "green", "\u00e9t\u00e9", "\uD83D\uDE00"};
        int mismatches = 0;
        List<String> firstMismatches = new ArrayList<>();
        for (int step = 0; step < historyLength(); step++) {
            String pk = "k" + random.nextInt(12);
            Item<Doc> current = model.get(pk);
            Item<Doc> before = current;
            Item<Doc> attempted = null;
            int kind = random.nextInt(10);
            if (kind < 2) {
                boolean existed = await(s.delete(pk, "0"));
                assertEquals(current != null, existed, "step " + step + ": delete of " + pk);
                model.remove(pk);
            } else {
                List<String> t = new ArrayList<>();
                for (String tg : tags) {
                    if (random.nextInt(3) == 0) {
                        t.add(tg);
                    }
                }
                String email = random.nextInt(3) == 0 ? null : "m" + random.nextInt(6) + "@example.org";
                Doc doc = new Doc(statuses[random.nextInt(statuses.length)], String.valueOf(random.nextInt(5)), t, email,
                        "s" + step);
                Condition condition = kind < 5 ? Condition.none()
                        : kind < 7 ? Condition.ifAbsent()
                        : Condition.ifVersion(current == null ? 1 + random.nextInt(3) : Math.max(1, current.version() - random.nextInt(2)));
                boolean conditionHolds = condition.holds(current == null ? 0 : current.version());
                boolean emailTaken = email != null && model.values().stream()
                        .anyMatch(i -> !i.pk().equals(pk) && email.equals(i.value().email()));
                attempted = item(pk, doc);
                CompletableFuture<Item<Doc>> put = s.put(attempted, condition);
                if (!conditionHolds || emailTaken) {
                    ConditionFailedException e = awaitFailure(ConditionFailedException.class, put);
                    assertEquals(conditionHolds, e instanceof UniqueIndexViolationException,
                            "step " + step + ": " + e);
                } else {
                    model.put(pk, await(put));
                }
            }
            List<String> diff = step % 24 == 23 || step == historyLength() - 1 ? compare(s, model, null)
                    : compare(s, model, touched(before, model.get(pk), attempted));
            if (!diff.isEmpty()) {
                mismatches += diff.size();
                if (firstMismatches.size() < 5) {
                    firstMismatches.add("step " + step + ": " + diff);
                }
            }
        }
        assertEquals(0, mismatches, "index mismatches with the model: " + firstMismatches);
    }

    /** The index keys (as "index/key") an item had before a step, has after it, and the step tried to give it. */
    private static java.util.Set<String> touched(Item<Doc> before, Item<Doc> after, Item<Doc> attempted) {
        java.util.Set<String> keys = new java.util.HashSet<>();
        for (Item<Doc> i : java.util.Arrays.asList(before, after, attempted)) {
            if (i == null) {
                continue;
            }
            if (i.value().status() != null) {
                keys.add("byStatus/" + i.value().status());
            }
            i.value().tags().forEach(t -> keys.add("byTag/" + t));
            if (i.value().email() != null) {
                keys.add("byEmail/" + i.value().email());
            }
        }
        return keys;
    }

    /**
     * Every key of every index in the model against the backend (or only {@code only}, as
     * "index/key", when not null); descriptions of the differences.
     */
    private List<String> compare(Store<Doc> s, Map<String, Item<Doc>> model, java.util.Set<String> only) {
        List<String> diff = new ArrayList<>();
        Map<String, List<String>> byStatus = new TreeMap<>();
        Map<String, List<String>> byTag = new TreeMap<>();
        for (String st : List.of("OPEN", "DONE", "WAIT")) {
            byStatus.put(st, new ArrayList<>());
        }
        for (String tg : List.of("red", "blue", "green", "\u00e9t\u00e9", "\uD83D\uDE00")) {
            byTag.put(tg, new ArrayList<>());
        }
        Map<String, String> byEmail = new TreeMap<>();
        List<Item<Doc>> sorted = new ArrayList<>(model.values());
        sorted.sort((x, y) -> {
            int c = x.value().rank().compareTo(y.value().rank());
            return c != 0 ? c : x.pk().compareTo(y.pk());
        });
        for (Item<Doc> i : sorted) {
            if (i.value().status() != null) {
                byStatus.get(i.value().status()).add(i.pk() + "@" + i.version());
            }
        }
        for (Item<Doc> i : model.values()) {
            for (String tg : new java.util.LinkedHashSet<>(i.value().tags())) {
                byTag.get(tg).add(i.pk() + "@" + i.version());
            }
            if (i.value().email() != null) {
                byEmail.put(i.value().email(), i.pk() + "@" + i.version());
            }
        }
        byStatus.forEach((k, want) -> {
            if (only != null && !only.contains("byStatus/" + k)) {
                return;
            }
            List<String> got = versions(await(s.index("byStatus").query(k)));
            if (!got.equals(want)) {
                diff.add("byStatus " + k + ": want " + want + ", got " + got);
            }
        });
        byTag.forEach((k, want) -> {
            if (only != null && !only.contains("byTag/" + k)) {
                return;
            }
            List<String> got = versions(await(s.index("byTag").query(k)));
            if (!got.equals(want)) {
                diff.add("byTag " + k + ": want " + want + ", got " + got);
            }
        });
        for (int m = 0; m < 6; m++) {
            String email = "m" + m + "@example.org";
            if (only != null && !only.contains("byEmail/" + email)) {
                continue;
            }
            Optional<Item<Doc>> got = await(s.index("byEmail").get(email));
            String gotS = got.map(i -> i.pk() + "@" + i.version()).orElse(null);
            if (!Objects.equals(byEmail.get(email), gotS)) {
                diff.add("byEmail " + email + ": want " + byEmail.get(email) + ", got " + gotS);
            }
        }
        return diff;
    }

    private static List<String> versions(List<Item<Doc>> items) {
        List<String> out = new ArrayList<>();
        items.forEach(i -> out.add(i.pk() + "@" + i.version()));
        return out;
    }

    // ------------------------------------------------------------------ concurrency

    @Test
    @DisplayName("4 writers moving 6 items between 3 keys 40 times: afterwards each item is under exactly its key, at its version")
    void concurrentMoves() throws Exception {
        Store<Doc> s = docs();
        String[] statuses = {"OPEN", "DONE", "WAIT"};
        for (int i = 0; i < 6; i++) {
            await(s.put(item("m" + i, Doc.of("OPEN", "0"))));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        AtomicInteger stale = new AtomicInteger();
        List<String> staleSeen = Collections.synchronizedList(new ArrayList<>());
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int writer = w;
                writers.add(pool.submit(() -> {
                    Random random = new Random(writer);
                    for (int n = 0; n < 10; n++) {
                        String pk = "m" + random.nextInt(6);
                        Doc doc = Doc.of(statuses[random.nextInt(3)], String.valueOf(random.nextInt(3))).withNote(writer + "/" + n);
                        try {
                            await(s.put(item(pk, doc)));
                        } catch (StoreException e) {
                            // A write that lost to concurrent writers too often wrote nothing: allowed.
                            if (!(e instanceof dev.polystore.UnavailableException)) {
                                throw e;
                            }
                        }
                        // Readers during the moves: every entry returned is a committed state of its item.
                        for (Item<Doc> seen : await(s.index("byStatus").query(statuses[n % 3]))) {
                            if (!statuses[n % 3].equals(seen.value().status())) {
                                stale.incrementAndGet();
                                staleSeen.add(seen.pk() + " under " + statuses[n % 3] + " has " + seen.value().status());
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : writers) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, stale.get(), "entries whose copy does not have the key they are under: " + staleSeen);
        Map<String, String> where = new TreeMap<>();
        for (String st : statuses) {
            for (Item<Doc> i : await(s.index("byStatus").query(st))) {
                Item<Doc> current = await(s.get(i.pk(), "0")).orElseThrow();
                assertEquals(current.version(), i.version(), i.pk() + " under " + st + " is a stale entry");
                assertEquals(st, current.value().status(), i.pk() + " is listed under " + st);
                String before = where.put(i.pk(), st);
                assertEquals(null, before, i.pk() + " is listed under " + before + " and " + st);
            }
        }
        for (int i = 0; i < 6; i++) {
            assertTrue(where.containsKey("m" + i), "m" + i + " is missing from the index: " + where);
        }
    }

    @Test
    @DisplayName("8 writers claim one unique key for 8 different items at once: exactly one wins, and the index names it")
    void uniqueRace() throws Exception {
        Store<Doc> s = docs();
        for (int round = 0; round < 3; round++) {
            String email = "race" + round + "@example.org";
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            Map<String, Throwable> outcomes = new ConcurrentHashMap<>();
            List<String> winners = Collections.synchronizedList(new ArrayList<>());
            try {
                List<Future<?>> all = new ArrayList<>();
                for (int w = 0; w < 8; w++) {
                    String pk = "r" + round + "w" + w;
                    all.add(pool.submit(() -> {
                        go.await();
                        try {
                            s.put(item(pk, Doc.of(null, null).withEmail(email))).get(2, TimeUnit.MINUTES);
                            winners.add(pk);
                        } catch (java.util.concurrent.ExecutionException e) {
                            if (!(e.getCause() instanceof UniqueIndexViolationException)) {
                                throw new AssertionError(pk + ": a loser of a unique-key race must see "
                                        + "UniqueIndexViolationException, got " + e.getCause(), e.getCause());
                            }
                            outcomes.put(pk, e.getCause());
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : all) {
                    f.get(5, TimeUnit.MINUTES);
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(1, winners.size(), "round " + round + ": winners " + winners);
            assertEquals(7, outcomes.size());
            assertEquals(winners.get(0), await(s.index("byEmail").get(email)).orElseThrow().pk());
            for (String loser : outcomes.keySet()) {
                assertFalse(await(s.get(loser, "0")).isPresent(), loser + " lost but was written");
            }
        }
    }

    // ------------------------------------------------------------------ build

    @Test
    @DisplayName("an index declared on a store with items is not queryable until built; the build is resumable and complete")
    void buildOverExistingItems() {
        assumeCapability(Capability.TRANSACTIONS);
        String name = tag + "bx";
        Store<Doc> plain = storage.store(name, Doc.CODEC);
        List<CompletableFuture<?>> writes = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            writes.add(plain.put(item("b" + String.format("%03d", i), Doc.of(i % 2 == 0 ? "OPEN" : "DONE", "r")
                    .withEmail("e" + i + "@example.org"))));
        }
        await(CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)));
        Store<Doc> s = storage.store(name, Doc.CODEC, Doc.OPTIONS);
        Index<Doc> byStatus = s.index("byStatus");
        awaitFailure(IndexNotReadyException.class, byStatus.query(IndexQuery.key("OPEN")));
        assertEquals(IndexStatus.State.BUILDING, await(byStatus.status()).state());
        // Writes during the build maintain the index already.
        await(s.put(item("b000", Doc.of("WAIT", "r").withEmail("e0@example.org"))));
        IndexStatus step = await(byStatus.build(50));
        assertEquals(IndexStatus.State.BUILDING, step.state(), "a build of 50 items out of 120 is not done: " + step);
        assertTrue(step.itemsRead() >= 50, step.toString());
        IndexStatus done = await(byStatus.build());
        assertEquals(IndexStatus.State.READY, done.state());
        assertEquals(IndexStatus.State.READY, await(byStatus.status()).state());
        assertEquals(59, await(byStatus.query("OPEN")).size());
        assertEquals(60, await(byStatus.query("DONE")).size());
        assertEquals(List.of("b000"), pks(await(byStatus.query("WAIT"))));
        for (String other : List.of("byTag", "byEmail")) {
            assertEquals(IndexStatus.State.READY, await(s.index(other).build()).state());
        }
        assertEquals("b007", await(s.index("byEmail").get("e7@example.org")).orElseThrow().pk());
        // Built is built: a second build returns at once.
        assertEquals(IndexStatus.State.READY, await(byStatus.build()).state());
        // A view without the indexes may read but not write.
        assertTrue(await(storage.store(name, Doc.CODEC).get("b001", "0")).isPresent());
        awaitFailure(ValidationException.class, storage.store(name, Doc.CODEC).put(item("b001", Doc.of("OPEN", "r"))));
    }

    @Test
    @DisplayName("a build fails on two existing items with one key of a unique index, and succeeds once one is fixed")
    void buildFindsUniqueClash() {
        assumeCapability(Capability.TRANSACTIONS);
        String name = tag + "bu";
        Store<Doc> plain = storage.store(name, Doc.CODEC);
        await(plain.put(item("a", Doc.of(null, null).withEmail("same@example.org"))));
        await(plain.put(item("b", Doc.of(null, null).withEmail("same@example.org"))));
        Store<Doc> s = storage.store(name, Doc.CODEC, Doc.OPTIONS);
        awaitFailure(UniqueIndexViolationException.class, s.index("byEmail").build());
        assertEquals(IndexStatus.State.BUILDING, await(s.index("byEmail").status()).state());
        await(s.put(item("b", Doc.of(null, null).withEmail("other@example.org"))));
        assertEquals(IndexStatus.State.READY, await(s.index("byEmail").build()).state());
        assertEquals("a", await(s.index("byEmail").get("same@example.org")).orElseThrow().pk());
        assertEquals("b", await(s.index("byEmail").get("other@example.org")).orElseThrow().pk());
    }

    @Test
    @DisplayName("indexes are refused at open, with ValidationException, on a backend whose transactions stay within "
            + "one partition key (entries live in partitions of their own)")
    void refusedWhereTransactionsStayInOnePartition() throws Exception {
        assumeCapability(Capability.TRANSACTIONS);
        dev.polystore.Storage onePartition = openAlso(backend -> new dev.polystore.spi.ForwardingStorageBackend(backend) {
            @Override
            public dev.polystore.Capabilities capabilities() {
                dev.polystore.Capabilities c = backend.capabilities();
                return new dev.polystore.Capabilities(c.supported(), c.maxTransactionItems(), c.maxTransactionBytes(),
                        c.maxBatchGetItems(), c.maxBatchWriteItems(), false);
            }
        });
        ValidationException e = org.junit.jupiter.api.Assertions.assertThrows(ValidationException.class,
                () -> onePartition.store(tag + "op", Doc.CODEC, Doc.OPTIONS));
        assertTrue(e.getMessage().contains("one partition key"), e.getMessage());
    }

    // ------------------------------------------------------------------ unwrap

    @Test
    @DisplayName("Storage.unwrap of a type the backend does not hand out fails with ValidationException")
    void unwrapUnknownType() {
        ValidationException e = org.junit.jupiter.api.Assertions.assertThrows(ValidationException.class,
                () -> storage.unwrap(java.util.concurrent.Flow.Subscriber.class));
        assertTrue(e.getMessage().contains("Subscriber"), e.getMessage());
    }
}
