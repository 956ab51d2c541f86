package dev.polystore.testkit;

import static dev.polystore.testkit.KitAssertions.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.ConfigurationException;
import dev.polystore.Health;
import dev.polystore.Item;
import dev.polystore.Limits;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import dev.polystore.Transaction;
import dev.polystore.memory.MemoryBackend;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What is specific to the memory backend's bound: bytes, settings, health, large transactions. */
class MemoryBoundTest {

    private static Storage open(Object maxItems, Object maxBytes) {
        StorageConfig.Builder b = StorageConfig.builder().backend("memory");
        if (maxItems != null) {
            b.set("memory.max_items", maxItems);
        }
        if (maxBytes != null) {
            b.set("memory.max_bytes", maxBytes);
        }
        return StoreFactory.open(b.build());
    }

    private static List<String> sks(Store<byte[]> s, String pk) {
        return await(s.query(pk, "")).stream().map(Item::sk).collect(Collectors.toList());
    }

    @Test
    @DisplayName("max_bytes counts Limits.itemSize of every item and evicts the least recently used")
    void maxBytes() {
        int payload = 120_000;
        long size = Limits.itemSize(1, 2, payload);
        try (Storage storage = open(null, 4 * size + 10)) {
            Store<byte[]> s = storage.store("b", Codec.bytes());
            for (int i = 0; i < 4; i++) {
                await(s.put(Item.of("p", "k" + i, new byte[payload])));
            }
            assertEquals(List.of("k0", "k1", "k2", "k3"), sks(s, "p"), "four items fit");
            await(s.get("p", "k0"));
            await(s.put(Item.of("p", "k4", new byte[payload])));
            assertEquals(List.of("k0", "k2", "k3", "k4"), sks(s, "p"), "k1 was the least recently used");
            await(s.put(Item.of("p", "k0", new byte[10])));
            await(s.put(Item.of("p", "k5", new byte[payload])));
            assertEquals(List.of("k0", "k3", "k4", "k5"), sks(s, "p"), "a smaller overwrite frees bytes, but not a whole item's worth");
            Health h = await(storage.health());
            assertEquals("4", h.details().get("items"));
            assertEquals("2", h.details().get("evictions"));
            assertEquals(String.valueOf(3 * size + Limits.itemSize(1, 2, 10)), h.details().get("bytes"));
        }
    }

    @Test
    @DisplayName("a transaction writing more items than the bound keeps its most recent ones")
    void transactionOverTheBound() {
        try (Storage storage = open(3, null)) {
            Store<byte[]> s = storage.store("t", Codec.bytes());
            await(s.put(Item.of("p", "old", new byte[1])));
            Transaction tx = storage.transaction();
            for (int i = 0; i < 5; i++) {
                tx.put(s, Item.of("p", "t" + i, new byte[1]));
            }
            assertEquals(5, await(tx.commit()).size());
            assertEquals(List.of("t2", "t3", "t4"), sks(s, "p"));
        }
    }

    @Test
    @DisplayName("bad bounds fail at open with the key, the value and what is expected")
    void badSettings() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> open(null, 1000));
        assertTrue(e.getMessage().contains("storage.memory.max_bytes = 1000") && e.getMessage().contains("409600"),
                e.getMessage());
        e = assertThrows(ConfigurationException.class, () -> open(-1, null));
        assertTrue(e.getMessage().contains("storage.memory.max_items"), e.getMessage());
        e = assertThrows(ConfigurationException.class, () -> open("many", null));
        assertTrue(e.getMessage().contains("storage.memory.max_items = \"many\""), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MemoryBackend.Bound(0, 5));
    }

    @Test
    @DisplayName("unbounded by default: no use is tracked and health says nothing of a bound")
    void unboundedByDefault() {
        try (Storage storage = open(null, null)) {
            Store<byte[]> s = storage.store("u", Codec.bytes());
            for (int i = 0; i < 50; i++) {
                await(s.put(Item.of("p", String.format("k%02d", i), new byte[1])));
            }
            assertEquals(50, sks(s, "p").size());
            assertEquals(null, await(storage.health()).details().get("evictions"));
        }
        assertEquals(MemoryBackend.Bound.NONE, new MemoryBackend(java.time.Clock.systemUTC()).bound());
    }
}
