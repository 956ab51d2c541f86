package dev.polystore.testkit;

import static dev.polystore.testkit.KitAssertions.await;
import static dev.polystore.testkit.KitAssertions.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Capability;
import dev.polystore.Codec;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Store;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract of a backend bounded to a number of items with least-recently-used eviction
 * (the {@code memory} backend with {@code max_items}; see docs/memory.md). What it pins down:
 * which operations count as a use, that eviction removes exactly the least recently used item,
 * that the bound spans every store, and what an evicted item looks like afterwards — absent to
 * every read and condition, so "if absent" succeeds and the version starts again at 1.
 *
 * <p>Queries are not uses, so the tests observe what is stored with {@code query} without
 * changing the order they check.
 *
 * <p><b>Implementors must provide</b> {@link #config(Path)}, opening a fresh, empty backend
 * bounded to exactly {@link #maxItems()} items (and no byte bound that a few small items reach),
 * and <b>may override</b> {@link #maxItems()} (default 4, at least 3).
 */
public abstract class LruBoundContract extends KitBase {

    /** The bound the backend of {@link #config(Path)} is opened with (at least 3). */
    protected int maxItems() {
        return 4;
    }

    private Store<String> store;
    private String p;

    @BeforeEach
    void boundedStore() {
        assertTrue(maxItems() >= 3, "the bounded contract needs maxItems() >= 3");
        store = storage.store("kit", Codec.utf8());
        p = pk("lru");
    }

    private static String k(int i) {
        return String.format("k%03d", i);
    }

    /** Writes k000 … k(n-1), in that order, one after the other (so their use order is that order). */
    private void fill(int n) {
        for (int i = 0; i < n; i++) {
            await(store.put(Item.of(p, k(i), "v" + i)));
        }
    }

    /** The sort keys stored in the partition, read with a query (which is not a use). */
    private List<String> stored() {
        return await(store.query(p, "")).stream().map(Item::sk).collect(Collectors.toList());
    }

    private List<String> keys(int from, int to) {
        return IntStream.range(from, to).mapToObj(LruBoundContract::k).collect(Collectors.toList());
    }

    private List<String> without(List<String> list, String gone) {
        List<String> copy = new ArrayList<>(list);
        copy.remove(gone);
        return copy;
    }

    @Test
    @DisplayName("up to the bound nothing is evicted; one item more evicts exactly the least recently used one")
    void evictsLeastRecentlyUsed() {
        int n = maxItems();
        fill(n);
        assertEquals(keys(0, n), stored(), "every item up to the bound is kept");
        await(store.put(Item.of(p, k(n), "new")));
        assertEquals(keys(1, n + 1), stored(), "the first item written, never used since, is the one evicted");
        await(store.put(Item.of(p, k(n + 1), "newer")));
        assertEquals(keys(2, n + 2), stored(), "then the next least recently used");
    }

    @Test
    @DisplayName("a get is a use: the item read is kept, the next least recently used goes instead")
    void getIsAUse() {
        int n = maxItems();
        fill(n);
        assertTrue(await(store.get(p, k(0))).isPresent());
        await(store.put(Item.of(p, k(n), "new")));
        assertEquals(without(keys(0, n + 1), k(1)), stored());
    }

    @Test
    @DisplayName("an overwrite is a use, and keeps the item's version going")
    void writeIsAUse() {
        int n = maxItems();
        fill(n);
        assertEquals(2, await(store.put(Item.of(p, k(0), "again"))).version());
        await(store.put(Item.of(p, k(n), "new")));
        assertEquals(without(keys(0, n + 1), k(1)), stored());
        assertEquals(2, await(store.get(p, k(0))).orElseThrow().version());
    }

    @Test
    @DisplayName("queries and failed conditional writes are not uses")
    void notUses() {
        int n = maxItems();
        fill(n);
        assertEquals(n, await(store.query(p, "")).size());
        awaitFailure(ConditionFailedException.class, store.putIfAbsent(Item.of(p, k(0), "no")));
        awaitFailure(ConditionFailedException.class, store.put(Item.of(p, k(0), "no"), Condition.ifVersion(7)));
        await(store.put(Item.of(p, k(n), "new")));
        assertEquals(keys(1, n + 1), stored(), "k000 was only queried and failed conditions: it is still the least recent");
    }

    @Test
    @DisplayName("a batch get hit is a use (capability BATCH)")
    void batchGetIsAUse() {
        assumeCapability(Capability.BATCH);
        int n = maxItems();
        fill(n);
        assertEquals(1, await(store.batchGet(List.of(Key.of(p, k(0)), Key.of(p, "missing")))).size());
        await(store.put(Item.of(p, k(n), "new")));
        assertEquals(without(keys(0, n + 1), k(1)), stored());
    }

    @Test
    @DisplayName("an evicted item is absent to every read and condition: 'if absent' succeeds and the version starts again at 1")
    void evictedIsAbsent() {
        int n = maxItems();
        await(store.put(Item.of(p, k(0), "first")));
        await(store.put(Item.of(p, k(0), "second")));
        assertEquals(3, await(store.put(Item.of(p, k(0), "third"))).version());
        for (int i = 1; i <= n; i++) {
            await(store.put(Item.of(p, k(i), "v" + i)));
        }
        assertFalse(stored().contains(k(0)), "k000 is the least recently used and must have been evicted");
        assertEquals(Optional.empty(), await(store.get(p, k(0))));
        awaitFailure(ConditionFailedException.class, store.put(Item.of(p, k(0), "x"), Condition.ifVersion(3)));
        awaitFailure(ConditionFailedException.class, store.put(Item.of(p, k(0), "x"), Condition.ifExists()));
        assertFalse(await(store.delete(p, k(0))), "deleting an evicted item reports it absent");
        Item<String> revived = await(store.putIfAbsent(Item.of(p, k(0), "revived")));
        assertEquals(1, revived.version(), "a write over an evicted item starts again at version 1, like over a deleted one");
        assertEquals("revived", await(store.get(p, k(0))).orElseThrow().value());
    }

    @Test
    @DisplayName("the bound spans every store of the backend")
    void boundSpansStores() {
        int n = maxItems();
        Store<String> other = storage.store("kit_other", Codec.utf8());
        await(other.put(Item.of(p, "elsewhere", "x")));
        fill(n);
        assertEquals(Optional.empty(), await(other.query(p, "")).stream().findFirst(),
                "the other store's item was the least recently used of the backend");
        assertEquals(keys(0, n), stored());
    }

    @Test
    @DisplayName("a delete frees room: the next write evicts nothing")
    void deleteFreesRoom() {
        int n = maxItems();
        fill(n);
        assertTrue(await(store.delete(p, k(1))));
        await(store.put(Item.of(p, k(n), "new")));
        assertEquals(without(keys(0, n + 1), k(1)), stored());
    }

    @Test
    @DisplayName("eviction is not expiry: kept items keep their own expiry, neither shortened nor extended (capability EXPIRY)")
    void evictionIsNotExpiry() {
        assumeCapability(Capability.EXPIRY);
        int n = maxItems();
        java.time.Instant at = clock.instant().plusSeconds(60);
        await(store.put(Item.of(p, k(0), "expiring").withExpiry(at)));
        for (int i = 1; i < n; i++) {
            await(store.put(Item.of(p, k(i), "v" + i)));
        }
        assertEquals(Optional.of(at), await(store.get(p, k(0))).orElseThrow().expiresAt());
        await(store.put(Item.of(p, k(n), "new")));
        assertEquals(without(keys(0, n + 1), k(1)), stored(), "the item read last is kept, expiry or not");
        clock.advance(Duration.ofSeconds(59));
        assertTrue(await(store.get(p, k(0))).isPresent(), "a kept item is live until its own expiry");
        clock.advance(Duration.ofSeconds(1));
        assertEquals(Optional.empty(), await(store.get(p, k(0))), "and expires exactly then");
    }
}
