package dev.polystore.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Condition;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.StorageConfig;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import dev.polystore.spi.ConfigSection;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.ScanPage;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import dev.polystore.testkit.KitAssertions;
import dev.polystore.testkit.index.IndexContract;
import dev.polystore.testkit.redis.RedisServerExtension;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The index contract on a real redis-server started by the test (standalone), the scan over
 * awkward keys, and {@code Storage.unwrap} of the Lettuce commands.
 */
class RedisIndexTest extends IndexContract {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.redis(REDIS.uri()).build();
    }

    @Test
    @DisplayName("unwrap(RedisClusterAsyncCommands.class): INFO and reads through the storage's connection; "
            + "quit, setTimeout and auth are refused; the storage keeps working")
    void unwrapCommands() throws Exception {
        String store = tag + "uw";
        KitAssertions.await(storage.store(store, Codec.utf8()).put(Item.of("a", "b", "c")));
        @SuppressWarnings("unchecked")
        RedisClusterAsyncCommands<byte[], byte[]> redis = storage.unwrap(RedisClusterAsyncCommands.class);
        String info = redis.info("server").get(1, TimeUnit.MINUTES);
        assertTrue(info.contains("redis_version"), info);
        assertTrue(redis.dbsize().get(1, TimeUnit.MINUTES) >= 1);
        assertThrows(UnsupportedOperationException.class, redis::quit);
        assertThrows(UnsupportedOperationException.class, () -> redis.setTimeout(Duration.ofMillis(1)));
        assertThrows(UnsupportedOperationException.class, () -> redis.auth("x"));
        assertEquals("c", KitAssertions.await(storage.store(store, Codec.utf8()).get("a", "b")).orElseThrow().value(),
                "the storage still works");
        assertEquals("PONG", redis.ping().get(1, TimeUnit.MINUTES));
        storage.close();
        assertThrows(UnavailableException.class, redis::ping, "the view refuses commands once the storage closed");
    }

    @Test
    @DisplayName("the scan (index builds, migration) returns every live item of the store exactly once, "
            + "and nothing of other stores, whatever the keys hold (braces, %, the layout's own separators)")
    void segmentReadFindsEveryItemOnce() {
        String store = tag + "seg";
        String other = tag + "segx";
        StorageConfig config = config(null);
        try (StorageBackend backend = new RedisStorageProvider().open(new ProviderContext(
                new ConfigSection("storage.redis", config.section("redis")), clock))) {
            Set<Key> expected = new HashSet<>();
            for (String pk : List.of("a", "b}", "%7D", "%", "{x}", "~ix/by/1", "é")) {
                for (String sk : List.of("", "1", "}i:" + store + ":z", "a:b")) {
                    Key key = new Key(pk, sk);
                    expected.add(key);
                    await(backend.put(new WriteOp.Put(store, key, (pk + sk).getBytes(StandardCharsets.UTF_8), null,
                            Condition.none())));
                    await(backend.put(new WriteOp.Put(other, key, new byte[] {1}, null, Condition.none())));
                }
            }
            // other stores whose sort keys look like this store's keys, and an expired item of this store
            await(backend.put(new WriteOp.Put(other, new Key("q", "}i:" + store + ":q"), new byte[] {2}, null,
                    Condition.none())));
            await(backend.put(new WriteOp.Put(store, new Key("gone", "x"), new byte[] {3},
                    clock.instant().plus(Duration.ofSeconds(2)).truncatedTo(ChronoUnit.SECONDS), Condition.none())));
            String start = await(backend.scanSegments(store, 1)).positions().get(0);
            assertEquals(3, await(backend.scanSegments(store, 3)).positions().size());
            assertTrue(readAll(backend, start, store, 1000).stream().anyMatch(k -> k.pk().equals("gone")),
                    "the item is live until its expiry");
            clock.advance(Duration.ofSeconds(3)); // past its expiry, by the clock the backend decides expiry with
            for (int limit : List.of(1, 3, 7, 1000)) {
                List<Key> read = readAll(backend, start, store, limit);
                assertEquals(expected, new HashSet<>(read), "pages of " + limit);
                assertEquals(expected.size(), read.size(), "no key twice, pages of " + limit);
            }
            // resuming from every position continues exactly where its page ended
            List<ScanPage> pages = new ArrayList<>();
            String p = start;
            do {
                ScanPage page = await(backend.scan(store, p, 3));
                pages.add(page);
                p = page.next();
            } while (p != null);
            List<Key> all = new ArrayList<>();
            pages.forEach(pg -> pg.items().forEach(i -> all.add(i.key())));
            int offset = 0;
            for (int i = 0; i < pages.size() - 1; i++) {
                offset += pages.get(i).items().size();
                List<Key> rest = new ArrayList<>();
                String q = pages.get(i).next();
                while (q != null) {
                    ScanPage page = await(backend.scan(store, q, 3));
                    page.items().forEach(it -> rest.add(it.key()));
                    q = page.next();
                }
                assertEquals(all.subList(offset, all.size()), rest, "resumed after page " + (i + 1));
            }
            KitAssertions.awaitFailure(ValidationException.class, backend.scan(store, "garbage", 10));
        }
    }

    private static List<Key> readAll(StorageBackend backend, String start, String store, int limit) {
        List<Key> read = new ArrayList<>();
        String position = start;
        do {
            ScanPage page = await(backend.scan(store, position, limit));
            assertTrue(page.items().size() <= limit, "a page of " + page.items().size() + " items, over the limit " + limit);
            page.items().forEach(i -> read.add(i.key()));
            position = page.next();
        } while (position != null);
        return read;
    }

    private static <T> T await(java.util.concurrent.CompletableFuture<T> f) {
        return KitAssertions.await(f);
    }
}
