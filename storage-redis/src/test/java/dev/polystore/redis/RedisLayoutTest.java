package dev.polystore.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.KeyRange;
import dev.polystore.Storage;
import dev.polystore.StoreFactory;
import dev.polystore.Store;
import dev.polystore.testkit.MutableClock;
import dev.polystore.testkit.redis.RedisServer;
import dev.polystore.testkit.redis.RedisServerExtension;
import dev.polystore.testkit.redis.Resp;
import io.lettuce.core.cluster.SlotHash;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The key layout (docs/redis.md#layout), the Redis TTL backstop and the lazy cleanup, checked on the server itself. */
class RedisLayoutTest {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static Object redis(String... args) {
        RedisServer s = REDIS.server();
        return Resp.call(s.host(), s.port(), 5000, args);
    }

    @Test
    @DisplayName("keys: one hash tag per partition key, braces and percent signs escaped so tags never collide")
    void keys() {
        Layout layout = new Layout("ps:");
        assertEquals("ps:{user#1}i:users:profile", text(layout.item("users", Key.of("user#1", "profile"))));
        assertEquals("ps:{user#1}z:users", text(layout.index("users", "user#1")));
        assertEquals("ps:{user#1}w:abc", text(layout.record("user#1", "abc")));
        assertEquals("ps:{a%7Db}", text(layout.tag("a}b")));
        assertEquals("ps:{a%257Db}", text(layout.tag("a%7Db")));
        assertEquals("ps:{{x}", text(layout.tag("{x")));
        // Every key of a partition, in every store, hashes to one slot; the tag is what Redis Cluster hashes.
        int slot = SlotHash.getSlot(layout.item("a", Key.of("p}{q", "s")));
        assertEquals(slot, SlotHash.getSlot(layout.index("b", "p}{q")));
        assertEquals(slot, SlotHash.getSlot(layout.record("p}{q", "id")));
        assertEquals(SlotHash.getSlot("p%7D{q".getBytes(StandardCharsets.UTF_8)), slot);
    }

    @Test
    @DisplayName("lexicographic bounds: prefixes as half-open ranges, resumption narrows the side moved away from")
    void bounds() {
        assertEquals(List.of("[ab", "(ac"), lex(KeyRange.prefix("ab"), true, null));
        assertEquals(List.of("-", "+"), lex(KeyRange.prefix(""), true, null));
        assertEquals(List.of("(ab5", "(ac"), lex(KeyRange.prefix("ab"), true, "ab5"));
        assertEquals(List.of("[ab", "(ab5"), lex(KeyRange.prefix("ab"), false, "ab5"));
        assertEquals(List.of("[a", "[c"), lex(KeyRange.between("a", "c"), true, null));
        assertEquals(List.of("[a", "(c"), lex(KeyRange.between("a", "c"), false, "c"));
        assertEquals(List.of("-", "[m"), lex(KeyRange.atMost("m"), true, null));
        assertEquals(List.of("(k", "+"), lex(KeyRange.atLeast("b"), true, "k"));
    }

    private static List<String> lex(KeyRange range, boolean ascending, String start) {
        byte[][] b = Layout.bounds(range, ascending, start);
        return List.of(text(b[0]), text(b[1]));
    }

    @Test
    @DisplayName("partition keys differing only in escaped characters stay separate partitions")
    void escapedPartitionsAreSeparate() throws Exception {
        String prefix = "l" + UUID.randomUUID().toString().substring(0, 8) + ":";
        try (Storage storage = StoreFactory.open(TestConfigs.redis(REDIS.uri()).set("redis.key_prefix", prefix).build())) {
            Store<String> s = storage.store("esc", Codec.utf8());
            for (String pk : List.of("a}b", "a%7Db", "a%257Db", "{a}", "a")) {
                s.put(Item.of(pk, "k", pk)).join();
            }
            for (String pk : List.of("a}b", "a%7Db", "a%257Db", "{a}", "a")) {
                List<Item<String>> items = s.query(pk, "").join();
                assertEquals(1, items.size(), pk);
                assertEquals(pk, items.get(0).value());
            }
        }
    }

    @Test
    @DisplayName("expiry: decided by the storage's clock; Redis deletes the item and index only after expiry + grace; queries clean up")
    void expiryBackstopAndCleanup() {
        String prefix = "x" + UUID.randomUUID().toString().substring(0, 8) + ":";
        MutableClock clock = MutableClock.startingNow();
        try (Storage storage = StoreFactory.open(TestConfigs.redis(REDIS.uri()).set("redis.key_prefix", prefix)
                .set("redis.expiry_grace_s", 120).build().withClock(clock))) {
            Store<String> s = storage.store("exp", Codec.utf8());
            String item = prefix + "{p}i:exp:soon";
            String index = prefix + "{p}z:exp";
            s.put(Item.of("p", "soon", "v").withExpiry(clock.instant().plusSeconds(60))).join();
            s.put(Item.of("p", "later", "v").withExpiry(clock.instant().plusSeconds(600))).join();
            long itemTtl = Long.parseLong(String.valueOf(redis("TTL", item)));
            long indexTtl = Long.parseLong(String.valueOf(redis("TTL", index)));
            assertTrue(itemTtl > 150 && itemTtl <= 181, "item TTL = expiry (60 s) + grace (120 s): " + itemTtl);
            assertTrue(indexTtl > 690 && indexTtl <= 721, "index TTL = the latest member's expiry + grace: " + indexTtl);
            String record = String.valueOf(((List<?>) redis("KEYS", prefix + "{p}w:*")).get(0));
            long recordTtl = Long.parseLong(String.valueOf(redis("PTTL", record)));
            assertTrue(recordTtl > 0 && recordTtl <= 60_000, "an outcome record lives for the replay window: " + recordTtl);

            clock.advance(Duration.ofSeconds(60));
            assertTrue(s.get("p", "soon").join().isEmpty(), "expired by the storage's clock, although Redis still has it");
            assertEquals(1L, Long.parseLong(String.valueOf(redis("EXISTS", item))));
            assertEquals(List.of("later"), s.query("p", "").join().stream().map(Item::sk).toList());
            assertEquals(0L, Long.parseLong(String.valueOf(redis("EXISTS", item))), "the query removed the expired hash");
            assertEquals(1L, Long.parseLong(String.valueOf(redis("ZCARD", index))), "and its sorted-set member");

            s.put(Item.of("p", "later", "v")).join();
            assertEquals(-1L, Long.parseLong(String.valueOf(redis("TTL", prefix + "{p}i:exp:later"))),
                    "a put without expiry removes the backstop TTL");
            assertEquals(-1L, Long.parseLong(String.valueOf(redis("TTL", index))), "and the index's");

            redis("ZADD", index, "0", "ghost"); // a member whose hash Redis already deleted
            assertEquals(List.of("later"), s.query("p", "").join().stream().map(Item::sk).toList());
            assertEquals(1L, Long.parseLong(String.valueOf(redis("ZCARD", index))), "members without a hash are removed");
        }
    }
}
