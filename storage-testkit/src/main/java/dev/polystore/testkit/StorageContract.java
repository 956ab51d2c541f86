package dev.polystore.testkit;

import static dev.polystore.testkit.KitAssertions.await;
import static dev.polystore.testkit.KitAssertions.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Capability;
import dev.polystore.Codec;
import dev.polystore.CodecException;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Direction;
import dev.polystore.Health;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.KeyRange;
import dev.polystore.Limits;
import dev.polystore.Page;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.UnavailableException;
import dev.polystore.UnsupportedCapabilityException;
import dev.polystore.ValidationException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The core contract every backend subclasses: get/put/delete and versions, conditions, queries
 * (ranges, UTF-8 order, literal prefixes, paging, cursors), the portability limits, batches,
 * transactions, expiry, lifecycle and health, closing while operations are in flight, and a hot
 * key in concurrent transactions, in {@code @Nested} groups.
 *
 * <p><b>Implementors must provide</b> {@link #config(Path)} (see {@link KitBase} for the
 * lifecycle and the hooks they may override) and <b>may override</b> {@link #persistent()}.
 * Tests of optional capabilities the backend does not declare are skipped with the
 * capability's name; their negative tests (the capability must fail cleanly with
 * {@link UnsupportedCapabilityException}) run instead.
 */
public abstract class StorageContract extends KitBase {
    /** The kit's store of UTF-8 strings. */
    protected Store<String> strings() {
        return storage.store("kit", Codec.utf8());
    }

    // ------------------------------------------------------------------ helpers

    /** A JSON-mapped value type, to check the default codec end to end. */
    public record Note(String title, int stars, List<String> tags, Instant at) {
    }

    /** Writes {@code value} under each sort key, all at once, and waits. */
    protected void putAll(Store<String> store, String pk, List<String> sks) {
        CompletableFuture<?>[] writes = sks.stream()
                .map(sk -> store.put(Item.of(pk, sk, "v:" + sk)))
                .toArray(CompletableFuture[]::new);
        await(CompletableFuture.allOf(writes));
    }

    /**
     * The item at {@code (pk, sk)}, which the test wrote and the backend acknowledged; fails
     * saying so if the backend does not return it (rather than a bare NoSuchElementException).
     */
    protected static <T> Item<T> stored(Store<T> store, String pk, String sk) {
        return await(store.get(pk, sk)).orElseThrow(() -> new AssertionError("get(" + pk + ", " + sk + ") in store '"
                + store.name() + "' found nothing, although the test wrote that item and the backend acknowledged the write"));
    }

    /**
     * The cursor of {@code page}, which must have one because more items follow; fails saying
     * the backend returned no resume position (rather than a bare NoSuchElementException).
     */
    protected static String cursorOf(Page<?> page, String query) {
        return page.cursor().orElseThrow(() -> new AssertionError("a page of " + query + " with " + page.items().size()
                + " items has no cursor although more items follow: the backend's query returned no resume position"
                + " (RawPage.lastEvaluatedSk) for a full page"));
    }

    protected static List<String> sks(List<Item<String>> items) {
        return items.stream().map(Item::sk).collect(Collectors.toList());
    }

    /** Reads every page of {@code query}; checks page sizes and that only the last page may be empty or cursor-less. */
    protected List<String> readAllPages(Store<String> store, Query query) {
        List<String> seen = new ArrayList<>();
        Query q = query;
        for (int pages = 0; ; pages++) {
            assertTrue(pages < 10_000, "query did not end after 10,000 pages: cursors do not advance");
            Page<String> page = await(store.query(q));
            assertTrue(page.items().size() <= query.limit(),
                    "a page held " + page.items().size() + " items, over the limit " + query.limit());
            seen.addAll(sks(page.items()));
            if (page.cursor().isEmpty()) {
                return seen;
            }
            assertFalse(page.items().isEmpty(), "a page with a cursor must not be empty (the API skips empty pages)");
            q = query.after(page.cursor().get());
        }
    }

    private static List<String> reversed(List<String> list) {
        List<String> copy = new ArrayList<>(list);
        Collections.reverse(copy);
        return copy;
    }

    @SuppressWarnings("unchecked")
    private static Store<String> foreignStore() {
        return (Store<String>) Proxy.newProxyInstance(StorageContract.class.getClassLoader(), new Class<?>[] {Store.class},
                (proxy, method, args) -> method.getName().equals("name") ? "kit" : null);
    }

    // ------------------------------------------------------------------ groups

    @Nested
    @DisplayName("get, put and delete")
    class Basics {
        @Test
        @DisplayName("a put is read back with version 1")
        void putThenGet() {
            Store<String> s = strings();
            Item<String> written = await(s.put(Item.of(pk("a"), "x", "hello")));
            assertEquals(1, written.version());
            Item<String> read = await(s.get(pk("a"), "x")).orElseThrow(() -> new AssertionError("item not found after put"));
            assertEquals("hello", read.value());
            assertEquals(1, read.version());
            assertEquals(Key.of(pk("a"), "x"), read.key());
            assertTrue(read.expiresAt().isEmpty(), "an item written without expiry must not expire");
        }

        @Test
        @DisplayName("a missing item reads as empty")
        void missing() {
            assertEquals(Optional.empty(), await(strings().get(pk("none"), "x")));
        }

        @Test
        @DisplayName("each put increments the version and replaces the value")
        void versionsIncrement() {
            Store<String> s = strings();
            for (int i = 1; i <= 5; i++) {
                assertEquals(i, await(s.put(Item.of(pk("v"), "x", "value " + i))).version());
            }
            Item<String> read = stored(s, pk("v"), "x");
            assertEquals(5, read.version());
            assertEquals("value 5", read.value());
        }

        @Test
        @DisplayName("delete reports whether the item existed, and a later put starts again at version 1")
        void deleteThenPut() {
            Store<String> s = strings();
            await(s.put(Item.of(pk("d"), "x", "one")));
            await(s.put(Item.of(pk("d"), "x", "two")));
            assertTrue(await(s.delete(pk("d"), "x")), "delete of an existing item must return true");
            assertEquals(Optional.empty(), await(s.get(pk("d"), "x")));
            assertFalse(await(s.delete(pk("d"), "x")), "delete of a missing item must return false");
            assertEquals(1, await(s.put(Item.of(pk("d"), "x", "three"))).version());
        }

        @Test
        @DisplayName("payload bytes round-trip exactly, including zero and high bytes")
        void bytesRoundTrip() {
            Store<byte[]> s = storage.store("kit", Codec.bytes());
            byte[] payload = new byte[512];
            for (int i = 0; i < payload.length; i++) {
                payload[i] = (byte) i;
            }
            await(s.put(Item.of(pk("b"), "bin", payload)));
            assertArrayEquals(payload, stored(s, pk("b"), "bin").value());
            byte[] empty = new byte[0];
            await(s.put(Item.of(pk("b"), "empty", empty)));
            assertArrayEquals(empty, stored(s, pk("b"), "empty").value());
        }

        @Test
        @DisplayName("byte values are the caller's: changing one written or read never changes the stored item")
        void bytesAreNotShared() {
            Store<byte[]> s = storage.store("kit", Codec.bytes());
            byte[] written = {1, 2, 3};
            await(s.put(Item.of(pk("own"), "x", written)));
            written[0] = 9;
            byte[] read = stored(s, pk("own"), "x").value();
            assertArrayEquals(new byte[] {1, 2, 3}, read, "changing the array after put changed the stored item");
            read[1] = 9;
            assertArrayEquals(new byte[] {1, 2, 3}, stored(s, pk("own"), "x").value(),
                    "changing an array returned by get changed the stored item (a backend must return fresh payload arrays)");
            await(s.query(pk("own"), "")).get(0).value()[2] = 9;
            assertArrayEquals(new byte[] {1, 2, 3}, stored(s, pk("own"), "x").value(),
                    "changing an array returned by a query changed the stored item (a backend must return fresh payload arrays)");
        }

        @Test
        @DisplayName("records round-trip through the default JSON codec")
        void jsonRoundTrip() {
            Store<Note> notes = storage.store("kit_json", Note.class);
            Note note = new Note("Zürich ☃ 😀", 5, List.of("a", "b"), Instant.parse("2026-01-02T03:04:05Z"));
            await(notes.put(Item.of(pk("n"), "1", note)));
            assertEquals(note, stored(notes, pk("n"), "1").value());
        }

        @Test
        @DisplayName("a payload the store's codec cannot read fails with CodecException")
        void undecodable() {
            await(strings().put(Item.of(pk("c"), "x", "this is not JSON")));
            Store<Note> notes = storage.store("kit", Note.class);
            awaitFailure(CodecException.class, notes.get(pk("c"), "x"));
        }

        @Test
        @DisplayName("stores with different names keep separate items under the same key")
        void storesAreSeparate() {
            Store<String> one = storage.store("kit", Codec.utf8());
            Store<String> two = storage.store("kit_other", Codec.utf8());
            await(one.put(Item.of(pk("s"), "x", "one")));
            await(two.put(Item.of(pk("s"), "x", "two")));
            assertEquals("one", stored(one, pk("s"), "x").value());
            assertEquals("two", stored(two, pk("s"), "x").value());
            await(one.delete(pk("s"), "x"));
            assertTrue(await(two.get(pk("s"), "x")).isPresent(), "deleting in one store must not touch another");
        }

        @Test
        @DisplayName("store names outside [a-z][a-z0-9_]{0,47} are rejected")
        void storeNames() {
            for (String bad : List.of("", "Users", "1abc", "a-b", "a b", "a;drop", "x".repeat(49), "é")) {
                assertThrows(ValidationException.class, () -> storage.store(bad, Codec.utf8()), "store name \"" + bad + "\"");
            }
            storage.store("a", Codec.utf8());
            storage.store("a_1" + "x".repeat(45), Codec.utf8());
        }

        @Test
        @DisplayName("200 concurrent puts to distinct keys all land")
        void concurrentPuts() {
            Store<String> s = strings();
            List<String> keys = IntStream.range(0, 200).mapToObj(i -> String.format("k%03d", i)).collect(Collectors.toList());
            putAll(s, pk("many"), keys);
            KitAssertions.assertKeys(keys, sks(await(s.query(pk("many"), ""))), "the partition after 200 concurrent puts");
        }
    }

    @Nested
    @DisplayName("conditions and versions")
    class Conditions {
        @Test
        @DisplayName("if absent: writes a new item, refuses an existing one and leaves it unchanged")
        void ifAbsent() {
            Store<String> s = strings();
            assertEquals(1, await(s.putIfAbsent(Item.of(pk("c"), "x", "first"))).version());
            ConditionFailedException e = awaitFailure(ConditionFailedException.class,
                    s.putIfAbsent(Item.of(pk("c"), "x", "second")));
            assertEquals(Optional.of(Key.of(pk("c"), "x")), e.key(), "the exception names the key");
            Item<String> read = stored(s, pk("c"), "x");
            assertEquals("first", read.value());
            assertEquals(1, read.version());
        }

        @Test
        @DisplayName("if version: succeeds on the current version, fails on any other")
        void ifVersion() {
            Store<String> s = strings();
            await(s.put(Item.of(pk("c"), "x", "v1")));
            assertEquals(2, await(s.put(Item.of(pk("c"), "x", "v2"), Condition.ifVersion(1))).version());
            awaitFailure(ConditionFailedException.class, s.put(Item.of(pk("c"), "x", "stale"), Condition.ifVersion(1)));
            awaitFailure(ConditionFailedException.class, s.put(Item.of(pk("c"), "x", "future"), Condition.ifVersion(3)));
            Item<String> read = stored(s, pk("c"), "x");
            assertEquals("v2", read.value());
            assertEquals(2, read.version());
        }

        @Test
        @DisplayName("if version on a missing item fails and writes nothing")
        void ifVersionMissing() {
            Store<String> s = strings();
            awaitFailure(ConditionFailedException.class, s.put(Item.of(pk("c"), "m", "x"), Condition.ifVersion(1)));
            assertEquals(Optional.empty(), await(s.get(pk("c"), "m")));
        }

        @Test
        @DisplayName("if exists: fails on a missing item, updates an existing one")
        void ifExists() {
            Store<String> s = strings();
            awaitFailure(ConditionFailedException.class, s.put(Item.of(pk("c"), "e", "x"), Condition.ifExists()));
            assertEquals(Optional.empty(), await(s.get(pk("c"), "e")));
            await(s.put(Item.of(pk("c"), "e", "one")));
            assertEquals(2, await(s.put(Item.of(pk("c"), "e", "two"), Condition.ifExists())).version());
        }

        @Test
        @DisplayName("conditional delete: wrong version or missing item fails and deletes nothing")
        void conditionalDelete() {
            Store<String> s = strings();
            await(s.put(Item.of(pk("c"), "d", "one")));
            await(s.put(Item.of(pk("c"), "d", "two")));
            awaitFailure(ConditionFailedException.class, s.delete(pk("c"), "d", Condition.ifVersion(1)));
            assertTrue(await(s.get(pk("c"), "d")).isPresent(), "a failed conditional delete must not delete");
            assertTrue(await(s.delete(pk("c"), "d", Condition.ifVersion(2))));
            assertEquals(Optional.empty(), await(s.get(pk("c"), "d")));
            awaitFailure(ConditionFailedException.class, s.delete(pk("c"), "d", Condition.ifExists()));
            awaitFailure(ConditionFailedException.class, s.delete(pk("c"), "d", Condition.ifVersion(2)));
        }

        @Test
        @DisplayName("'if absent' is not a delete condition, and versions start at 1")
        void invalidConditions() {
            awaitFailure(ValidationException.class, strings().delete(pk("c"), "x", Condition.ifAbsent()));
            assertThrows(ValidationException.class, () -> Condition.ifVersion(0));
        }

        @Test
        @DisplayName("of 8 'if absent' puts of one key started at once exactly one wins, on each of many keys")
        void createRace() throws Exception {
            Store<String> s = strings();
            String p = pk("race");
            List<List<Races.Outcome<Item<String>>>> rounds = Races.run(raceRounds(), RACERS, RACE_HANG,
                    (round, racer) -> s.putIfAbsent(Item.of(p, raceKey(round), "writer " + racer)));
            Map<String, Item<String>> stored = new java.util.HashMap<>();
            await(s.query(p, "")).forEach(item -> stored.put(item.sk(), item));
            List<String> problems = new ArrayList<>();
            for (int round = 0; round < rounds.size(); round++) {
                List<Integer> winners = winners(rounds.get(round), round, "an 'if absent' put", problems);
                Item<String> item = stored.get(raceKey(round));
                if (winners.size() == 1 && (item == null || !item.value().equals("writer " + winners.get(0))
                        || item.version() != 1)) {
                    problems.add("key " + raceKey(round) + ": racer " + winners.get(0) + " won, but the item stored is "
                            + item + " (expected its value at version 1)");
                }
            }
            assertNoRaceProblems(problems, rounds.size(), "'if absent' puts",
                    "the check that the key is absent is not atomic with the write (a missing lock or transaction)");
        }

        @Test
        @DisplayName("of 8 'if version' deletes of one item started at once exactly one wins, on each of many keys")
        void deleteRace() throws Exception {
            Store<String> s = strings();
            String p = pk("delrace");
            List<String> keys = IntStream.range(0, raceRounds()).mapToObj(StorageContract::raceKey).collect(Collectors.toList());
            putAll(s, p, keys);
            List<List<Races.Outcome<Boolean>>> rounds = Races.run(keys.size(), RACERS, RACE_HANG,
                    (round, racer) -> s.delete(p, raceKey(round), Condition.ifVersion(1)));
            List<String> problems = new ArrayList<>();
            for (int round = 0; round < rounds.size(); round++) {
                List<Races.Outcome<Boolean>> outcomes = rounds.get(round);
                for (int racer = 0; racer < outcomes.size(); racer++) {
                    if (outcomes.get(racer).succeeded() && !outcomes.get(racer).value()) {
                        problems.add("key " + raceKey(round) + ": racer " + racer + "'s 'if version 1' delete returned false "
                                + "(nothing there) instead of deleting the item or failing with ConditionFailedException");
                    }
                }
                winners(outcomes, round, "an 'if version' delete", problems);
            }
            List<String> left = sks(await(s.query(p, "")));
            if (!left.isEmpty()) {
                problems.add(left.size() + " items are left although one delete of each was acknowledged, e.g. " + left.get(0));
            }
            assertNoRaceProblems(problems, rounds.size(), "'if version' deletes",
                    "the conditional delete checks the version, then deletes, without atomicity");
        }

        @Test
        @DisplayName("of 'if version' deletes and 'if version' puts of one item started at once exactly one wins, on each of many keys")
        void deleteOrUpdateRace() throws Exception {
            Store<String> s = strings();
            String p = pk("delput");
            List<String> keys = IntStream.range(0, raceRounds()).mapToObj(StorageContract::raceKey).collect(Collectors.toList());
            putAll(s, p, keys);
            List<List<Races.Outcome<Object>>> rounds = Races.run(keys.size(), RACERS, RACE_HANG,
                    (round, racer) -> racer % 2 == 0
                            ? s.delete(p, raceKey(round), Condition.ifVersion(1)).thenApply(deleted -> (Object) deleted)
                            : s.put(Item.of(p, raceKey(round), "writer " + racer), Condition.ifVersion(1))
                                    .thenApply(item -> (Object) item));
            Map<String, Item<String>> stored = new java.util.HashMap<>();
            await(s.query(p, "")).forEach(item -> stored.put(item.sk(), item));
            List<String> problems = new ArrayList<>();
            for (int round = 0; round < rounds.size(); round++) {
                List<Integer> winners = winners(rounds.get(round), round, "an 'if version' delete or put", problems);
                if (winners.size() != 1) {
                    continue;
                }
                int winner = winners.get(0);
                Item<String> item = stored.get(raceKey(round));
                boolean consistent = winner % 2 == 0 ? item == null
                        : item != null && item.version() == 2 && item.value().equals("writer " + winner);
                if (!consistent) {
                    problems.add("key " + raceKey(round) + ": racer " + winner + " (" + (winner % 2 == 0 ? "delete" : "put")
                            + ") won, but the item stored is " + item);
                }
            }
            assertNoRaceProblems(problems, rounds.size(), "conditional deletes and puts",
                    "a conditional delete or put is not atomic with its version check");
        }
    }

    // ------------------------------------------------------------------ races (helpers)

    /** Threads racing for one key in each round of the races. */
    protected static final int RACERS = 8;
    /** How long a whole race may take before the kit calls it hung (not a speed check). */
    private static final Duration RACE_HANG = Duration.ofMinutes(5);

    /**
     * Rounds of each race in "conditions and versions" (one key per round, {@value #RACERS}
     * racers each; default 100). More rounds catch narrower windows; every round must have
     * exactly one winner.
     */
    protected int raceRounds() {
        return 100;
    }

    private static String raceKey(int round) {
        return String.format("key%04d", round);
    }

    /**
     * The racers of one round that won; every loser must have failed with
     * {@link ConditionFailedException}, and exactly one may win, or a problem is recorded.
     */
    private static <T> List<Integer> winners(List<Races.Outcome<T>> outcomes, int round, String what, List<String> problems) {
        List<Integer> winners = new ArrayList<>();
        for (int racer = 0; racer < outcomes.size(); racer++) {
            Races.Outcome<T> o = outcomes.get(racer);
            if (o.succeeded()) {
                winners.add(racer);
            } else if (!(o.failure() instanceof ConditionFailedException)) {
                problems.add("key " + raceKey(round) + ": racer " + racer + "'s losing attempt must fail with "
                        + "ConditionFailedException, but " + what + " failed with " + o.failure());
            }
        }
        if (winners.size() != 1) {
            problems.add("key " + raceKey(round) + ": " + winners.size() + " of " + outcomes.size() + " racers won (racers "
                    + winners + "); exactly one may");
        }
        return winners;
    }

    private static void assertNoRaceProblems(List<String> problems, int rounds, String what, String likelyCause) {
        if (!problems.isEmpty()) {
            long several = problems.stream().filter(p -> p.contains(" racers won ") && !p.contains(": 0 of ")).count();
            throw new AssertionError(problems.size() + " problems in " + rounds + " rounds of " + RACERS + " concurrent "
                    + what + (several > 0 ? " (" + several + " keys with several winners: " + likelyCause + ")" : "")
                    + ":\n  " + String.join("\n  ", problems.subList(0, Math.min(8, problems.size())))
                    + (problems.size() > 8 ? "\n  ..." : ""));
        }
    }

    @Nested
    @DisplayName("queries: ranges, order and literal prefixes")
    class Queries {
        @Test
        @DisplayName("a prefix query returns exactly the partition's matching keys, ascending")
        void prefix() {
            Store<String> s = strings();
            putAll(s, pk("q"), List.of("order#2", "order#1", "order#10", "orders", "profile", "ord"));
            putAll(s, pk("other"), List.of("order#3"));
            assertEquals(List.of("order#1", "order#10", "order#2"), sks(await(s.query(pk("q"), "order#"))));
            assertEquals(List.of("ord", "order#1", "order#10", "order#2", "orders", "profile"),
                    sks(await(s.query(pk("q"), ""))));
            assertEquals(List.of(), await(s.query(pk("q"), "zzz")));
            assertEquals("v:order#1", await(s.query(pk("q"), "order#1")).get(0).value());
        }

        @Test
        @DisplayName("prefix characters %, _, \\ and * are literal, not wildcards")
        void literalPrefix() {
            Store<String> s = strings();
            putAll(s, pk("lit"), List.of("a%b", "a_b", "a\\b", "a*b", "aXb", "a%", "a__", "ab", "a", "A%b"));
            assertEquals(List.of("a%", "a%b"), sks(await(s.query(pk("lit"), "a%"))));
            assertEquals(List.of("a__", "a_b"), sks(await(s.query(pk("lit"), "a_"))));
            assertEquals(List.of("a\\b"), sks(await(s.query(pk("lit"), "a\\"))));
            assertEquals(List.of("a*b"), sks(await(s.query(pk("lit"), "a*"))));
            assertEquals(List.of("A%b"), sks(await(s.query(pk("lit"), "A"))), "prefixes are case-sensitive");
        }

        @Test
        @DisplayName("sort keys order by UTF-8 bytes: U+FF61 before U+10002 (unlike Java's String order)")
        void utf8Order() {
            Store<String> s = strings();
            String ff61 = "\uFF61";
            String u10002 = new String(Character.toChars(0x10002));
            String max = new String(Character.toChars(0x10FFFF));
            List<String> expected = List.of("A", "a", "b", "\u007F", "\u0080", "\u00E9", "\u07FF", "\u0800", ff61,
                    "\uFFFF", u10002, max);
            List<String> shuffled = new ArrayList<>(expected);
            Collections.shuffle(shuffled, new java.util.Random(7));
            putAll(s, pk("utf8"), shuffled);
            assertEquals(expected, sks(await(s.query(pk("utf8"), ""))), "ascending UTF-8 byte order");
            assertEquals(reversed(expected), readAllPages(s, Query.partition(pk("utf8")).descending().limit(5)),
                    "descending UTF-8 byte order");
            assertEquals(List.of(ff61, "\uFFFF", u10002),
                    sks(await(s.query(Query.partition(pk("utf8")).between(ff61, u10002))).items()),
                    "a range between U+FF61 and U+10002 holds U+FFFF, as UTF-8 order says");
        }

        @Test
        @DisplayName("prefixes ending in U+007F, U+FFFF or U+10FFFF match exactly their extensions")
        void prefixBoundaries() {
            Store<String> s = strings();
            String max = new String(Character.toChars(0x10FFFF));
            putAll(s, pk("pb"), List.of("x\u007F", "x\u007Fa", "x\u0080", "y\uFFFF", "y\uFFFFz", "y" + new String(Character.toChars(0x10000)),
                    "p" + max, "p" + max + "z", "q"));
            assertEquals(List.of("x\u007F", "x\u007Fa"), sks(await(s.query(pk("pb"), "x\u007F"))));
            assertEquals(List.of("y\uFFFF", "y\uFFFFz"), sks(await(s.query(pk("pb"), "y\uFFFF"))));
            assertEquals(List.of("p" + max, "p" + max + "z"), sks(await(s.query(pk("pb"), "p" + max))));
            assertEquals(List.of("p" + max, "p" + max + "z"), sks(await(s.query(pk("pb"), "p"))));
        }

        @Test
        @DisplayName("between, at least and at most are inclusive, in both directions")
        void ranges() {
            Store<String> s = strings();
            List<String> all = IntStream.rangeClosed(1, 20).mapToObj(i -> String.format("k%02d", i)).collect(Collectors.toList());
            putAll(s, pk("r"), all);
            Query base = Query.partition(pk("r"));
            assertEquals(all.subList(4, 9), readAllPages(s, base.between("k05", "k09")));
            assertEquals(reversed(all.subList(4, 9)), readAllPages(s, base.between("k05", "k09").descending()));
            assertEquals(List.of("k07"), readAllPages(s, base.between("k07", "k07")));
            assertEquals(all.subList(17, 20), readAllPages(s, base.range(KeyRange.atLeast("k18"))));
            assertEquals(reversed(all.subList(17, 20)), readAllPages(s, base.range(KeyRange.atLeast("k18")).descending()));
            assertEquals(all.subList(0, 2), readAllPages(s, base.range(KeyRange.atMost("k02"))));
            assertEquals(reversed(all.subList(0, 2)), readAllPages(s, base.range(KeyRange.atMost("k02")).descending()));
            assertEquals(all.subList(9, 12), readAllPages(s, base.between("k095", "k12")), "bounds need not exist");
            assertEquals(List.of(), readAllPages(s, base.between("k205", "k30")));
        }

        @Test
        @DisplayName("pages cover the range exactly once, in order, at every page size and in both directions")
        void paging() {
            Store<String> s = strings();
            List<String> all = IntStream.range(0, 25).mapToObj(i -> String.format("item%02d", i)).collect(Collectors.toList());
            putAll(s, pk("p"), all);
            putAll(s, pk("p"), List.of("zzz-outside"));
            for (int limit : new int[] {1, 7, 24, 25, 26, 1000}) {
                Query q = Query.partition(pk("p")).prefix("item").limit(limit);
                assertEquals(all, readAllPages(s, q), "ascending, limit " + limit);
                assertEquals(reversed(all), readAllPages(s, q.descending()), "descending, limit " + limit);
            }
            assertEquals(all.subList(3, 18), readAllPages(s, Query.partition(pk("p")).between("item03", "item17").limit(4)));
        }

        @Test
        @DisplayName("a page of an empty partition is empty and has no cursor")
        void emptyPartition() {
            Page<String> page = await(strings().query(Query.partition(pk("empty"))));
            assertEquals(List.of(), page.items());
            assertFalse(page.hasMore());
        }

        @Test
        @DisplayName("a page's cursor resumes after its last item even when that item is deleted meanwhile")
        void cursorAfterDelete() {
            Store<String> s = strings();
            putAll(s, pk("cd"), List.of("a", "b", "c", "d"));
            Page<String> first = await(s.query(Query.partition(pk("cd")).limit(2)));
            assertEquals(List.of("a", "b"), sks(first.items()));
            await(s.delete(pk("cd"), "b"));
            Page<String> second = await(s.query(Query.partition(pk("cd")).limit(2).after(cursorOf(first, "4 items with limit 2"))));
            assertEquals(List.of("c", "d"), sks(second.items()));
        }

        @Test
        @DisplayName("a cursor from another query, or a malformed one, is rejected with ValidationException")
        void foreignCursor() {
            Store<String> s = strings();
            putAll(s, pk("fc"), List.of("a", "b", "c"));
            String cursor = cursorOf(await(s.query(Query.partition(pk("fc")).limit(1))), "3 items with limit 1");
            awaitFailure(ValidationException.class, s.query(Query.partition(pk("other")).limit(1).after(cursor)));
            awaitFailure(ValidationException.class, s.query(Query.partition(pk("fc")).descending().limit(1).after(cursor)));
            awaitFailure(ValidationException.class, s.query(Query.partition(pk("fc")).prefix("a").limit(1).after(cursor)));
            awaitFailure(ValidationException.class, s.query(Query.partition(pk("fc")).after("not a cursor!")));
            awaitFailure(ValidationException.class, s.query(Query.partition(pk("fc")).after("YWJj")));
        }

        @Test
        @DisplayName("an altered cursor fails with ValidationException and never resumes the query: truncations, "
                + "bit flips at every position, appended bytes, other encodings, splices, re-encoded and hand-forged keys")
        void cursorFuzz() {
            Store<String> s = strings();
            String p = pk("fz");
            putAll(s, p, List.of("a", "b", "c", "d", "e"));
            Query q = Query.partition(p).limit(2);
            Page<String> first = await(s.query(q));
            assertEquals(List.of("a", "b"), sks(first.items()));
            String cursor = first.cursor().orElseThrow();
            assertEquals(List.of("c", "d"), sks(await(s.query(q.after(cursor))).items()), "the genuine cursor resumes after b");
            String other = await(s.query(q.limit(4))).cursor().orElseThrow();
            assertEquals(List.of("e"), sks(await(s.query(q.after(other))).items()), "a second genuine cursor resumes after d");
            List<String> keys = List.of("d", "a", "zz", "", CursorFuzz.overLimitKey("c"));
            List<CursorFuzz.Mutant> mutants = new ArrayList<>(CursorFuzz.mutations(cursor, "b", other, keys));
            mutants.addAll(CursorFuzz.plainTextForgeries("kit", p, KeyRange.all(), Direction.ASCENDING, keys));
            assertTrue(mutants.size() > 8 * cursor.length(), "the fuzz made only " + mutants.size() + " mutants");
            assertRefused(s, q, mutants);
        }

        @Test
        @DisplayName("cursors of another partition, store, range, direction or cursor secret fail with "
                + "ValidationException, from this backend or from the memory reference backend")
        void foreignCursorsOfEveryKind() throws Exception {
            Store<String> s = strings();
            Store<String> otherStore = storage.store("kit_cursors", Codec.utf8());
            String p = pk("fo");
            List<String> items = List.of("a", "ab", "b", "c");
            putAll(s, p, items);
            putAll(s, pk("fo2"), items);
            putAll(otherStore, p, items);
            Query q = Query.partition(p).limit(1);
            List<CursorFuzz.Mutant> foreign = new ArrayList<>();
            foreign.add(new CursorFuzz.Mutant("another partition's cursor", firstCursor(s, Query.partition(pk("fo2")).limit(1))));
            foreign.add(new CursorFuzz.Mutant("another store's cursor", firstCursor(otherStore, q)));
            foreign.add(new CursorFuzz.Mutant("a descending query's cursor", firstCursor(s, q.descending())));
            foreign.add(new CursorFuzz.Mutant("a between query's cursor", firstCursor(s, q.between("a", "c"))));
            foreign.add(new CursorFuzz.Mutant("an at-least query's cursor", firstCursor(s, q.range(KeyRange.atLeast("a")))));
            foreign.add(new CursorFuzz.Mutant("an at-most query's cursor", firstCursor(s, q.range(KeyRange.atMost("c")))));
            foreign.add(new CursorFuzz.Mutant("a prefix query's cursor", firstCursor(s, q.prefix("a"))));
            String secret = cursorSecret();
            String otherSecret = "kit: another cursor secret, over 32 bytes" + ("kit: another cursor secret, over 32 bytes"
                    .equals(secret) ? "!" : "");
            try (Storage sameSecret = memory(secret); Storage anotherSecret = memory(otherSecret)) {
                Store<String> same = sameSecret.store("kit", Codec.utf8());
                putAll(same, pk("fo2"), items);
                foreign.add(new CursorFuzz.Mutant("the memory backend's cursor of another partition",
                        firstCursor(same, Query.partition(pk("fo2")).limit(1))));
                Store<String> another = anotherSecret.store("kit", Codec.utf8());
                putAll(another, p, items);
                foreign.add(new CursorFuzz.Mutant("the memory backend's cursor of this very query, under another cursor secret",
                        firstCursor(another, q)));
                assertRefused(another, q, List.of(new CursorFuzz.Mutant("this backend's cursor, on a storage with "
                        + "another cursor secret", firstCursor(s, q))));
            }
            assertRefused(s, q, foreign);
        }

        @Test
        @DisplayName("cursors are portable: pages read alternately here and on the memory reference backend "
                + "(same cursor secret) cover the range exactly once, in order")
        void portableCursors() throws Exception {
            Store<String> s = strings();
            String p = pk("pc");
            List<String> all = IntStream.rangeClosed(1, 9).mapToObj(i -> "k" + i).collect(Collectors.toList());
            putAll(s, p, all);
            try (Storage memory = memory(cursorSecret())) {
                Store<String> m = memory.store("kit", Codec.utf8());
                putAll(m, p, all);
                for (Query q : List.of(Query.partition(p).limit(2), Query.partition(p).prefix("k").limit(3).descending(),
                        Query.partition(p).between("k2", "k8").limit(2), Query.partition(p).range(KeyRange.atMost("k5")).limit(1))) {
                    for (boolean startHere : new boolean[] {true, false}) {
                        List<String> seen = new ArrayList<>();
                        Query current = q;
                        boolean here = startHere;
                        for (int pages = 0; ; pages++) {
                            assertTrue(pages < 100, "paging " + q + " did not end");
                            Page<String> page = await((here ? s : m).query(current));
                            seen.addAll(sks(page.items()));
                            if (page.cursor().isEmpty()) {
                                break;
                            }
                            current = q.after(page.cursor().get());
                            here = !here;
                        }
                        assertEquals(readAllPages(m, q), seen, "pages of " + q + " read alternately on backend '"
                                + storage.backend() + "' and on memory, starting " + (startHere ? "here" : "on memory"));
                    }
                }
            }
        }

        /** The cursor of the first page of {@code q}, which must have one. */
        private String firstCursor(Store<String> store, Query q) {
            return await(store.query(q)).cursor().orElseThrow(() -> new AssertionError("no cursor after the first page of " + q));
        }

        /** The cursor secret of the backend under test, or null for the built-in one. */
        private String cursorSecret() throws Exception {
            return config(tempDir).values().get(StorageConfig.CURSOR_SECRET);
        }

        /** The memory reference backend, with {@code secret} as its cursor secret (null: the built-in one). */
        private Storage memory(String secret) {
            StorageConfig.Builder b = StorageConfig.builder().backend("memory").clock(clock);
            if (secret != null) {
                b.set(StorageConfig.CURSOR_SECRET, secret);
            }
            return dev.polystore.StoreFactory.open(b.build());
        }

        /** Each cursor must fail {@code q.after(cursor)} with ValidationException; lists every one that did not. */
        private void assertRefused(Store<String> store, Query q, List<CursorFuzz.Mutant> mutants) {
            List<String> problems = new ArrayList<>();
            for (CursorFuzz.Mutant m : mutants) {
                CompletableFuture<Page<String>> f;
                try {
                    f = store.query(q.after(m.cursor()));
                } catch (RuntimeException e) {
                    problems.add(m.label() + ": query threw " + e + " instead of failing its future");
                    continue;
                }
                try {
                    Page<String> page = f.get(KitAssertions.TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                    problems.add(m.label() + ": accepted, the query resumed with " + sks(page.items()));
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof ValidationException)) {
                        problems.add(m.label() + ": failed with " + e.getCause() + ", not ValidationException");
                    }
                } catch (Exception e) {
                    problems.add(m.label() + ": " + e);
                }
            }
            // One example per kind of mutation (numbers masked), so every kind that got through is named.
            Map<String, String> byKind = new java.util.LinkedHashMap<>();
            Map<String, Integer> counts = new java.util.HashMap<>();
            for (String problem : problems) {
                String kind = problem.substring(0, problem.indexOf(':')).replaceAll("\\d+", "N");
                byKind.putIfAbsent(kind, problem);
                counts.merge(kind, 1, Integer::sum);
            }
            assertTrue(problems.isEmpty(), () -> problems.size() + " of " + mutants.size() + " altered or foreign cursors "
                    + "were not refused with ValidationException (an opaque cursor must be exactly what the store handed out); "
                    + "one of each kind: " + byKind.entrySet().stream()
                            .map(e -> e.getValue() + (counts.get(e.getKey()) > 1 ? " (" + counts.get(e.getKey()) + " like it)" : ""))
                            .collect(Collectors.joining("; ")));
        }

        @Test
        @DisplayName("bad query arguments are rejected with ValidationException")
        void badQueries() {
            assertThrows(ValidationException.class, () -> Query.partition("p").limit(0));
            assertThrows(ValidationException.class, () -> Query.partition("p").limit(Limits.MAX_PAGE_SIZE + 1));
            Store<String> s = strings();
            awaitFailure(ValidationException.class, s.query(Query.partition(pk("b")).between("b", "a")));
            awaitFailure(ValidationException.class, s.query(Query.partition("")));
            awaitFailure(ValidationException.class, s.query(Query.partition(pk("b")).prefix("x".repeat(Limits.MAX_SK_BYTES + 1))));
            awaitFailure(ValidationException.class, s.query(Query.partition(pk("b")).range(KeyRange.atLeast(""))));
        }

        @Test
        @DisplayName("forEach streams every item once, in order, page by page")
        void forEach() {
            Store<String> s = strings();
            List<String> all = IntStream.range(0, 30).mapToObj(i -> String.format("f%02d", i)).collect(Collectors.toList());
            putAll(s, pk("fe"), all);
            List<String> seen = Collections.synchronizedList(new ArrayList<>());
            long n = await(s.forEach(Query.partition(pk("fe")).limit(4), item -> seen.add(item.sk())));
            assertEquals(30, n);
            assertEquals(all, seen);
        }

        @Test
        @DisplayName("forEach stops and fails with the action's exception")
        void forEachFailure() {
            Store<String> s = strings();
            putAll(s, pk("ff"), List.of("a", "b", "c"));
            CompletableFuture<Long> f = s.forEach(Query.partition(pk("ff")).limit(1), item -> {
                if (item.sk().equals("b")) {
                    throw new IllegalStateException("stop at b");
                }
            });
            try {
                f.get(KitAssertions.TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                throw new AssertionError("forEach must fail when its action throws");
            } catch (java.util.concurrent.ExecutionException e) {
                assertEquals("stop at b", e.getCause().getMessage());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }

        @Test
        @DisplayName("query(pk, prefix) gathers partitions larger than one page")
        void largePartition() {
            Store<String> s = strings();
            List<String> all = IntStream.range(0, Limits.MAX_PAGE_SIZE + 50).mapToObj(i -> String.format("big%05d", i))
                    .collect(Collectors.toList());
            putAll(s, pk("big"), all);
            KitAssertions.assertKeys(all, sks(await(s.query(pk("big"), "big"))), "query(pk, \"big\") of "
                    + all.size() + " items, more than one page of " + Limits.MAX_PAGE_SIZE);
        }
    }

    @Nested
    @DisplayName("portability limits: keys and item size")
    class Portability {
        private String bytes(int n) {
            return "x".repeat(n);
        }

        @Test
        @DisplayName("empty keys are rejected everywhere, before anything is written")
        void emptyKeys() {
            Store<String> s = strings();
            awaitFailure(ValidationException.class, s.put(Item.of("", "x", "v")));
            awaitFailure(ValidationException.class, s.put(Item.of(pk("e"), "", "v")));
            awaitFailure(ValidationException.class, s.get("", "x"));
            awaitFailure(ValidationException.class, s.get(pk("e"), ""));
            awaitFailure(ValidationException.class, s.delete(pk("e"), ""));
            awaitFailure(ValidationException.class, s.get(null, "x"));
            assertEquals(List.of(), await(s.query(pk("e"), "")));
        }

        @Test
        @DisplayName("partition keys of 2048 UTF-8 bytes work; 2049 are rejected")
        void pkLength() {
            Store<String> s = strings();
            String emoji = new String(Character.toChars(0x1F600));
            String max = emoji.repeat(512);
            assertEquals(2048, max.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            await(s.put(Item.of(max, "x", "v")));
            assertEquals("v", stored(s, max, "x").value());
            assertEquals(1, await(s.query(max, "")).size());
            await(s.delete(max, "x"));
            String over = bytes(2047) + "\u00E9";
            awaitFailure(ValidationException.class, s.put(Item.of(over, "x", "v")));
            awaitFailure(ValidationException.class, s.get(over, "x"));
        }

        @Test
        @DisplayName("sort keys of 1024 UTF-8 bytes work; 1025 are rejected")
        void skLength() {
            Store<String> s = strings();
            String max = bytes(1021) + "\u20AC";
            assertEquals(1024, max.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            await(s.put(Item.of(pk("sk"), max, "v")));
            assertEquals(max, await(s.query(pk("sk"), "")).get(0).sk());
            assertEquals(List.of(max), sks(await(s.query(pk("sk"), max))));
            String over = bytes(1023) + "\u00E9";
            awaitFailure(ValidationException.class, s.put(Item.of(pk("sk"), over, "v")));
            assertEquals(1, await(s.query(pk("sk"), "")).size(), "a rejected put must write nothing");
        }

        @Test
        @DisplayName("keys with unpaired surrogates or U+0000 are rejected")
        void invalidCharacters() {
            Store<String> s = strings();
            awaitFailure(ValidationException.class, s.put(Item.of(pk("bad"), "a\uD800", "v")));
            awaitFailure(ValidationException.class, s.put(Item.of(pk("bad"), "\uDC00b", "v")));
            awaitFailure(ValidationException.class, s.put(Item.of(pk("bad") + "\u0000", "x", "v")));
            awaitFailure(ValidationException.class, s.put(Item.of(pk("bad"), "a\u0000b", "v")));
            assertEquals(List.of(), await(s.query(pk("bad"), "")));
        }

        @Test
        @DisplayName("an item of exactly 400 KiB encoded (a layer's overhead included) is stored; one byte more is rejected and nothing is written")
        void itemSize() {
            Store<byte[]> s = storage.store("kit", Codec.bytes());
            String p = pk("size");
            int keyBytes = p.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1;
            byte[] max = new byte[Limits.MAX_ITEM_BYTES - Limits.ITEM_OVERHEAD_BYTES - keyBytes - layerOverheadBytes()];
            new java.util.Random(1).nextBytes(max);
            assertEquals(Limits.MAX_ITEM_BYTES, Limits.itemSize(keyBytes - 1, 1, max.length + layerOverheadBytes()));
            await(s.put(Item.of(p, "a", max)));
            assertArrayEquals(max, stored(s, p, "a").value());
            byte[] over = new byte[max.length + 1];
            awaitFailure(ValidationException.class, s.put(Item.of(p, "b", over)));
            assertEquals(Optional.empty(), await(s.get(p, "b")));
            awaitFailure(ValidationException.class, s.put(Item.of(p, "a", over)));
            assertArrayEquals(max, stored(s, p, "a").value(), "a rejected overwrite leaves the old item");
        }
    }

    @Nested
    @DisplayName("batches (capability BATCH)")
    class Batches {
        @Test
        @DisplayName("batch put and batch get of more items than one engine call takes")
        void putAndGet() {
            assumeCapability(Capability.BATCH);
            Store<String> s = strings();
            await(s.put(Item.of(pk("b"), "k000", "old")));
            List<Item<String>> items = IntStream.range(0, 60)
                    .mapToObj(i -> Item.of(pk("b"), String.format("k%03d", i), "value " + i)).collect(Collectors.toList());
            await(s.batchPut(items));
            List<Key> keys = new ArrayList<>();
            items.forEach(i -> keys.add(i.key()));
            keys.add(Key.of(pk("b"), "missing-1"));
            keys.add(Key.of(pk("b"), "k001"));
            Map<Key, Item<String>> got = await(s.batchGet(keys));
            assertEquals(60, got.size());
            for (int i = 0; i < 60; i++) {
                Item<String> item = got.get(Key.of(pk("b"), String.format("k%03d", i)));
                assertEquals("value " + i, item.value());
                assertEquals(i == 0 ? 2 : 1, item.version(), "batch put increments versions like put");
            }
            List<Key> repeated = IntStream.range(0, 110).mapToObj(i -> Key.of(pk("b"), String.format("k%03d", i % 60)))
                    .collect(Collectors.toList());
            assertEquals(60, await(s.batchGet(repeated)).size(), "repeated keys are read once");
        }

        @Test
        @DisplayName("batch delete removes exactly the listed items")
        void delete() {
            assumeCapability(Capability.BATCH);
            Store<String> s = strings();
            List<String> all = IntStream.range(0, 40).mapToObj(i -> String.format("d%02d", i)).collect(Collectors.toList());
            putAll(s, pk("bd"), all);
            List<Key> gone = all.subList(0, 30).stream().map(sk -> Key.of(pk("bd"), sk)).collect(Collectors.toList());
            gone = new ArrayList<>(gone);
            gone.add(Key.of(pk("bd"), "never-existed"));
            await(s.batchDelete(gone));
            assertEquals(all.subList(30, 40), sks(await(s.query(pk("bd"), ""))));
        }

        @Test
        @DisplayName("a batch with a bad item, an oversized item or a repeated key is rejected whole")
        void rejectedWhole() {
            assumeCapability(Capability.BATCH);
            Store<String> s = strings();
            awaitFailure(ValidationException.class, s.batchPut(List.of(Item.of(pk("bw"), "a", "v"), Item.of(pk("bw"), "", "v"))));
            awaitFailure(ValidationException.class, s.batchPut(List.of(Item.of(pk("bw"), "a", "v"), Item.of(pk("bw"), "a", "w"))));
            awaitFailure(ValidationException.class, s.batchPut(List.of(Item.of(pk("bw"), "a", "v"),
                    Item.of(pk("bw"), "b", "x".repeat(Limits.MAX_ITEM_BYTES)))));
            awaitFailure(ValidationException.class, s.batchDelete(List.of(Key.of(pk("bw"), "a"), Key.of(pk("bw"), "a"))));
            assertEquals(List.of(), await(s.query(pk("bw"), "")), "a rejected batch writes nothing");
        }

        @Test
        @DisplayName("without BATCH, batch calls fail with UnsupportedCapabilityException")
        void unsupported() {
            assumeNoCapability(Capability.BATCH);
            Store<String> s = strings();
            assertEquals(Capability.BATCH, awaitFailure(UnsupportedCapabilityException.class,
                    s.batchPut(List.of(Item.of(pk("nb"), "a", "v")))).capability());
            awaitFailure(UnsupportedCapabilityException.class, s.batchGet(List.of(Key.of(pk("nb"), "a"))));
            awaitFailure(UnsupportedCapabilityException.class, s.batchDelete(List.of(Key.of(pk("nb"), "a"))));
            assertEquals(Optional.empty(), await(s.get(pk("nb"), "a")));
        }
    }

    @Nested
    @DisplayName("transactions (capability TRANSACTIONS)")
    class Transactions {
        @Test
        @DisplayName("puts, deletes and checks across stores commit together")
        void commit() {
            assumeCapability(Capability.TRANSACTIONS);
            Store<String> a = strings();
            Store<String> b = storage.store("kit_other", Codec.utf8());
            await(a.put(Item.of(pk("t"), "gone", "x")));
            await(a.put(Item.of(pk("t"), "checked", "x")));
            await(a.put(Item.of(pk("t"), "updated", "x")));
            List<Long> versions = await(storage.transaction()
                    .put(a, Item.of(pk("t"), "new", "n"))
                    .put(b, Item.of(pk("t"), "new", "m"), Condition.ifAbsent())
                    .put(a, Item.of(pk("t"), "updated", "y"), Condition.ifVersion(1))
                    .delete(a, Key.of(pk("t"), "gone"), Condition.ifExists())
                    .check(a, Key.of(pk("t"), "checked"), Condition.ifVersion(1))
                    .commit());
            assertEquals(List.of(1L, 1L, 2L, 0L, 0L), versions);
            assertEquals("n", stored(a, pk("t"), "new").value());
            assertEquals("m", stored(b, pk("t"), "new").value());
            assertEquals("y", stored(a, pk("t"), "updated").value());
            assertEquals(Optional.empty(), await(a.get(pk("t"), "gone")));
            assertEquals(1, stored(a, pk("t"), "checked").version(), "a check writes nothing");
        }

        @Test
        @DisplayName("a failed condition writes nothing and names the operation")
        void allOrNothing() {
            assumeCapability(Capability.TRANSACTIONS);
            Store<String> a = strings();
            await(a.put(Item.of(pk("t"), "keep", "x")));
            await(a.put(Item.of(pk("t"), "other", "x")));
            ConditionFailedException e = awaitFailure(ConditionFailedException.class, storage.transaction()
                    .put(a, Item.of(pk("t"), "new", "n"))
                    .delete(a, Key.of(pk("t"), "keep"))
                    .check(a, Key.of(pk("t"), "other"), Condition.ifVersion(7))
                    .commit());
            e.operationIndex().ifPresent(i -> assertEquals(2, i, "the failed operation's index"));
            assertEquals(Optional.empty(), await(a.get(pk("t"), "new")), "nothing of a failed transaction is written");
            assertTrue(await(a.get(pk("t"), "keep")).isPresent(), "nothing of a failed transaction is deleted");
        }

        @Test
        @DisplayName("repeated keys, too many operations and foreign stores are rejected before writing")
        void validation() {
            assumeCapability(Capability.TRANSACTIONS);
            Store<String> a = strings();
            awaitFailure(ValidationException.class, storage.transaction()
                    .put(a, Item.of(pk("tv"), "x", "1")).delete(a, Key.of(pk("tv"), "x")).commit());
            var big = storage.transaction();
            int max = storage.capabilities().maxTransactionItems();
            for (int i = 0; i <= max; i++) {
                big.put(a, Item.of(pk("tv"), "k" + i, "v"));
            }
            awaitFailure(ValidationException.class, big.commit());
            awaitFailure(ValidationException.class, storage.transaction().put(foreignStore(), Item.of(pk("tv"), "f", "v")).commit());
            awaitFailure(ValidationException.class, storage.transaction().put(a, Item.of(pk("tv"), "", "v")).commit());
            assertEquals(List.of(), await(a.query(pk("tv"), "")), "a rejected transaction writes nothing");
        }

        @Test
        @DisplayName("a transaction of the declared maximum size commits")
        void maxSize() {
            assumeCapability(Capability.TRANSACTIONS);
            Store<String> a = strings();
            var tx = storage.transaction();
            int max = storage.capabilities().maxTransactionItems();
            for (int i = 0; i < max; i++) {
                tx.put(a, Item.of(pk("tm"), String.format("k%04d", i), "v"));
            }
            assertEquals(max, await(tx.commit()).size());
            assertEquals(max, await(a.query(pk("tm"), "")).size());
        }

        @Test
        @DisplayName("an empty transaction commits to nothing, and a transaction commits once")
        void emptyAndTwice() {
            assumeCapability(Capability.TRANSACTIONS);
            var tx = storage.transaction();
            assertEquals(List.of(), await(tx.commit()));
            try {
                tx.commit().get(KitAssertions.TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                throw new AssertionError("a second commit must fail");
            } catch (java.util.concurrent.ExecutionException e) {
                assertTrue(e.getCause() instanceof IllegalStateException, "second commit: " + e.getCause());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }

        @Test
        @DisplayName("a transaction across partition keys commits, where the backend declares transactionsAcrossPartitions")
        void acrossPartitions() {
            assumeCapability(Capability.TRANSACTIONS);
            Assumptions.assumeTrue(storage.capabilities().transactionsAcrossPartitions(), () -> "backend '"
                    + storage.backend() + "' declares transactions within one partition key only"
                    + " (Capabilities.transactionsAcrossPartitions() = false)");
            Store<String> a = strings();
            await(a.put(Item.of(pk("tp2"), "x", "old")));
            assertEquals(List.of(1L, 2L), await(storage.transaction()
                    .put(a, Item.of(pk("tp1"), "x", "one"))
                    .put(a, Item.of(pk("tp2"), "x", "two"), Condition.ifVersion(1))
                    .commit()));
            assertEquals("one", await(a.get(pk("tp1"), "x")).orElseThrow().value());
            assertEquals("two", await(a.get(pk("tp2"), "x")).orElseThrow().value());
        }

        @Test
        @DisplayName("where transactions stay within one partition key, one across partition keys fails with ValidationException and writes nothing")
        void withinOnePartition() {
            assumeCapability(Capability.TRANSACTIONS);
            Assumptions.assumeFalse(storage.capabilities().transactionsAcrossPartitions(), () -> "backend '"
                    + storage.backend() + "' declares transactionsAcrossPartitions; its negative test does not apply");
            Store<String> a = strings();
            Store<String> b = storage.store("kit_other", Codec.utf8());
            await(a.put(Item.of(pk("tq2"), "x", "old")));
            ValidationException e = awaitFailure(ValidationException.class, storage.transaction()
                    .put(a, Item.of(pk("tq1"), "x", "one"))
                    .put(a, Item.of(pk("tq2"), "x", "two"))
                    .commit());
            assertTrue(e.getMessage().contains("partition"), "the message says why: " + e.getMessage());
            assertEquals(Optional.empty(), await(a.get(pk("tq1"), "x")), "nothing of a refused transaction is written");
            assertEquals("old", await(a.get(pk("tq2"), "x")).orElseThrow().value());
            assertEquals(List.of(1L, 1L), await(storage.transaction()
                    .put(a, Item.of(pk("tq1"), "x", "one"))
                    .put(b, Item.of(pk("tq1"), "y", "two"))
                    .commit()), "one partition key across stores is one partition");
        }

        @Test
        @DisplayName("without TRANSACTIONS, commit fails with UnsupportedCapabilityException and writes nothing")
        void unsupported() {
            assumeNoCapability(Capability.TRANSACTIONS);
            Store<String> a = strings();
            assertEquals(Capability.TRANSACTIONS, awaitFailure(UnsupportedCapabilityException.class,
                    storage.transaction().put(a, Item.of(pk("nt"), "x", "v")).commit()).capability());
            assertEquals(Optional.empty(), await(a.get(pk("nt"), "x")));
        }
    }

    @Nested
    @DisplayName("one-shot objects: misuse is an IllegalStateException, never a StoreException")
    class OneShot {
        /** {@code future} must fail with IllegalStateException (a programming error), not a StoreException. */
        private void assertMisuse(String what, java.util.function.Supplier<CompletableFuture<?>> call) {
            CompletableFuture<?> future;
            try {
                future = call.get();
            } catch (RuntimeException e) {
                throw new AssertionError(what + ": threw " + e + "; a method returning a future must fail the future", e);
            }
            try {
                Object value = future.get(KitAssertions.TIMEOUT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                throw new AssertionError(what + ": completed with " + value + "; it must fail with IllegalStateException");
            } catch (java.util.concurrent.ExecutionException e) {
                assertTrue(e.getCause() instanceof IllegalStateException,
                        what + ": failed with " + e.getCause() + "; misuse must be an IllegalStateException");
            } catch (Exception e) {
                throw new AssertionError(what + ": " + e, e);
            }
        }

        @Test
        @DisplayName("a second commit fails with IllegalStateException whatever the first commit's outcome, and writes nothing")
        void secondCommit() {
            assumeCapability(Capability.TRANSACTIONS);
            Store<String> s = strings();
            var ok = storage.transaction().put(s, Item.of(pk("os"), "a", "first"));
            assertEquals(List.of(1L), await(ok.commit()));
            assertMisuse("second commit after success", ok::commit);
            assertEquals(1L, await(s.get(pk("os"), "a")).orElseThrow().version(), "the second commit wrote again");

            var conflicted = storage.transaction().put(s, Item.of(pk("os"), "a", "second"), Condition.ifAbsent());
            awaitFailure(ConditionFailedException.class, conflicted.commit());
            assertMisuse("second commit after a failed condition", conflicted::commit);

            var invalid = storage.transaction().put(s, Item.of(pk("os"), "b", "x"))
                    .put(s, Item.of(pk("os"), "x".repeat(Limits.MAX_SK_BYTES + 1), "too long"));
            awaitFailure(ValidationException.class, invalid.commit());
            assertMisuse("second commit after a validation failure", invalid::commit);

            Item<String> a = await(s.get(pk("os"), "a")).orElseThrow();
            assertEquals("first", a.value());
            assertEquals(1L, a.version());
            assertEquals(Optional.empty(), await(s.get(pk("os"), "b")));
        }

        @Test
        @DisplayName("adding to a committed transaction throws IllegalStateException and changes nothing")
        void addAfterCommit() {
            Store<String> s = strings();
            var tx = storage.transaction().put(s, Item.of(pk("oa"), "a", "v"));
            CompletableFuture<List<Long>> first = tx.commit();
            if (storage.capabilities().has(Capability.TRANSACTIONS)) {
                await(first);
            } else {
                awaitFailure(UnsupportedCapabilityException.class, first);
            }
            assertThrows(IllegalStateException.class, () -> tx.put(s, Item.of(pk("oa"), "b", "v")));
            assertThrows(IllegalStateException.class, () -> tx.delete(s, Key.of(pk("oa"), "a")));
            assertThrows(IllegalStateException.class, () -> tx.check(s, Key.of(pk("oa"), "a"), Condition.ifExists()));
            assertEquals(1, tx.size());
            assertMisuse("commit after the rejected additions", tx::commit);
            assertEquals(Optional.empty(), await(s.get(pk("oa"), "b")));
        }

        @Test
        @DisplayName("without TRANSACTIONS too, a second commit is a misuse (IllegalStateException), not a second capability error")
        void secondCommitWithoutCapability() {
            assumeNoCapability(Capability.TRANSACTIONS);
            var tx = storage.transaction().put(strings(), Item.of(pk("on"), "a", "v"));
            awaitFailure(UnsupportedCapabilityException.class, tx.commit());
            assertMisuse("second commit", tx::commit);
        }
    }

    @Nested
    @DisplayName("expiry (capability EXPIRY)")
    class Expiry {
        @Test
        @DisplayName("an expired item is absent to get, query, batch get and delete")
        void expiredIsAbsent() {
            assumeCapability(Capability.EXPIRY);
            Store<String> s = strings();
            Instant at = clock.instant().plusSeconds(60);
            await(s.put(Item.of(pk("x"), "soon", "v").withExpiry(at)));
            await(s.put(Item.of(pk("x"), "later", "v").withExpiry(at.plusSeconds(3600))));
            await(s.put(Item.of(pk("x"), "never", "v")));
            clock.advance(Duration.ofSeconds(59));
            assertEquals(Optional.of(at), stored(s, pk("x"), "soon").expiresAt());
            clock.advance(Duration.ofSeconds(1));
            assertEquals(Optional.empty(), await(s.get(pk("x"), "soon")), "an item is expired from its expiry instant on");
            assertEquals(List.of("later", "never"), sks(await(s.query(pk("x"), ""))));
            assertEquals(List.of("later", "never"), readAllPages(s, Query.partition(pk("x")).limit(1)));
            if (storage.capabilities().has(Capability.BATCH)) {
                assertEquals(1, await(s.batchGet(List.of(Key.of(pk("x"), "soon"), Key.of(pk("x"), "never")))).size());
            }
            assertFalse(await(s.delete(pk("x"), "soon")), "deleting an expired item reports it absent");
        }

        @Test
        @DisplayName("an expired item counts as absent for conditions, and a new write starts at version 1")
        void expiredConditions() {
            assumeCapability(Capability.EXPIRY);
            Store<String> s = strings();
            await(s.put(Item.of(pk("xc"), "k", "old")));
            await(s.put(Item.of(pk("xc"), "k", "old").withExpiry(clock.instant().plusSeconds(10))));
            clock.advance(Duration.ofSeconds(11));
            awaitFailure(ConditionFailedException.class, s.put(Item.of(pk("xc"), "k", "x"), Condition.ifVersion(2)));
            awaitFailure(ConditionFailedException.class, s.put(Item.of(pk("xc"), "k", "x"), Condition.ifExists()));
            Item<String> fresh = await(s.putIfAbsent(Item.of(pk("xc"), "k", "new")));
            assertEquals(1, fresh.version());
            assertEquals("new", stored(s, pk("xc"), "k").value());
            assertTrue(stored(s, pk("xc"), "k").expiresAt().isEmpty());
        }

        @Test
        @DisplayName("an unconditional put over an expired item starts again at version 1")
        void overwriteExpired() {
            assumeCapability(Capability.EXPIRY);
            Store<String> s = strings();
            await(s.put(Item.of(pk("xo"), "k", "a")));
            await(s.put(Item.of(pk("xo"), "k", "b").withExpiry(clock.instant().plusSeconds(5))));
            clock.advance(Duration.ofSeconds(5));
            assertEquals(1, await(s.put(Item.of(pk("xo"), "k", "c"))).version());
        }

        @Test
        @DisplayName("a batch put over an expired item starts again at version 1; over a live one it increments and replaces the expiry")
        void batchOverwriteExpired() {
            assumeCapability(Capability.EXPIRY);
            assumeCapability(Capability.BATCH);
            Store<String> s = strings();
            await(s.put(Item.of(pk("xb"), "dead", "a")));
            await(s.put(Item.of(pk("xb"), "dead", "b").withExpiry(clock.instant().plusSeconds(5))));
            await(s.put(Item.of(pk("xb"), "live", "a").withExpiry(clock.instant().plusSeconds(60))));
            clock.advance(Duration.ofSeconds(5));
            await(s.batchPut(List.of(Item.of(pk("xb"), "dead", "c"), Item.of(pk("xb"), "live", "b"))));
            Item<String> dead = stored(s, pk("xb"), "dead");
            assertEquals(1, dead.version(), "a batch put over an expired item starts again at version 1");
            assertEquals("c", dead.value());
            Item<String> live = stored(s, pk("xb"), "live");
            assertEquals(2, live.version(), "a batch put over a live item increments its version");
            assertTrue(live.expiresAt().isEmpty(), "a batch put without expiry clears the earlier one");
            clock.advance(Duration.ofSeconds(120));
            assertTrue(await(s.get(pk("xb"), "live")).isPresent());
        }

        @Test
        @DisplayName("expiry is kept to the second, and can be removed by a later put")
        void precision() {
            assumeCapability(Capability.EXPIRY);
            Store<String> s = strings();
            Instant at = clock.instant().plusSeconds(100).plusMillis(750);
            Item<String> written = await(s.put(Item.of(pk("xp"), "k", "v").withExpiry(at)));
            Instant truncated = Instant.ofEpochSecond(at.getEpochSecond());
            assertEquals(Optional.of(truncated), written.expiresAt());
            assertEquals(Optional.of(truncated), stored(s, pk("xp"), "k").expiresAt());
            await(s.put(Item.of(pk("xp"), "k", "v")));
            clock.advance(Duration.ofSeconds(200));
            assertTrue(await(s.get(pk("xp"), "k")).isPresent(), "a put without expiry clears an earlier expiry");
        }

        @Test
        @DisplayName("without EXPIRY, an item with an expiry is refused, not stored forever")
        void unsupported() {
            assumeNoCapability(Capability.EXPIRY);
            Store<String> s = strings();
            assertEquals(Capability.EXPIRY, awaitFailure(UnsupportedCapabilityException.class,
                    s.put(Item.of(pk("nx"), "k", "v").withExpiry(clock.instant().plusSeconds(5)))).capability());
            assertEquals(Optional.empty(), await(s.get(pk("nx"), "k")));
        }
    }

    @Nested
    @DisplayName("lifecycle and health")
    class Lifecycle {
        @Test
        @DisplayName("a healthy backend says so, under its provider name")
        void health() {
            Health h = await(storage.health());
            assertTrue(h.healthy(), "health: " + h);
            assertEquals(storage.backend(), h.backend());
        }

        @Test
        @DisplayName("capability limits are consistent with what is declared")
        void capabilityLimits() {
            var caps = storage.capabilities();
            if (caps.has(Capability.BATCH)) {
                assertTrue(caps.maxBatchGetItems() >= 1 && caps.maxBatchWriteItems() >= 1,
                        "a backend with BATCH must take at least one item per batch call: " + caps);
            } else {
                assertEquals(0, caps.maxBatchGetItems() + caps.maxBatchWriteItems(),
                        "batch limits without BATCH are 0 (Capabilities normalises them): " + caps);
            }
            if (caps.has(Capability.TRANSACTIONS)) {
                assertTrue(caps.maxTransactionItems() >= 2, "a transaction must hold at least two operations");
                assertTrue(caps.maxTransactionBytes() >= Limits.MAX_ITEM_BYTES, "a transaction must hold one maximal item");
            }
        }

        @Test
        @DisplayName("after close, operations fail with UnavailableException and health is unhealthy; close is idempotent")
        void closed() {
            Store<String> s = strings();
            await(s.put(Item.of(pk("l"), "x", "v")));
            storage.close();
            storage.close();
            awaitFailure(UnavailableException.class, s.get(pk("l"), "x"));
            awaitFailure(UnavailableException.class, s.put(Item.of(pk("l"), "y", "v")));
            assertTrue(awaitFailure(UnavailableException.class, s.query(Query.partition(pk("l")))).retryable());
            assertFalse(await(storage.health()).healthy());
        }

        @Test
        @DisplayName("a write acknowledged before close is there after reopening (for persistent backends)")
        void durableAcrossReopen() throws Exception {
            Assumptions.assumeTrue(persistent(), "backend '" + storage.backend() + "' does not persist across reopen");
            Store<String> s = strings();
            await(s.put(Item.of(pk("dur"), "x", "kept")));
            reopen();
            assertEquals("kept", await(strings().get(pk("dur"), "x")).orElseThrow(() -> new AssertionError(
                    "an item written and acknowledged before close is missing after reopening: the backend does not keep "
                    + "data across close and open. If that is by design (an in-memory engine), override persistent() "
                    + "to return false, and the kit skips this test by name")).value());
        }
    }

    @Nested
    @DisplayName("close while busy")
    class CloseWhileBusy {
        @Test
        @DisplayName("close() with 200 puts and 50 gets in flight returns only once every future is complete, "
                + "each with an outcome the data after reopening confirms")
        void closeWhileBusy() throws Exception {
            BusyClose.run(StorageContract.this);
        }
    }

    @Nested
    @DisplayName("a hot key in transactions (capability TRANSACTIONS)")
    class HotKeyTransactions {
        @Test
        @DisplayName("8 writers x 25 transactions putting one key unconditionally all commit, handed versions 1 to 200 once each")
        void hotKey() throws Exception {
            assumeCapability(Capability.TRANSACTIONS);
            HotKey.run(StorageContract.this);
        }
    }

    /**
     * Whether data survives closing and reopening the storage with the same config. Override to
     * return false for in-memory backends; the durability test is then skipped visibly.
     */
    protected boolean persistent() {
        return true;
    }
}
