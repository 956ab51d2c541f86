package dev.polystore.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Storage;
import dev.polystore.StoreException;
import dev.polystore.StoreFactory;
import dev.polystore.Store;
import dev.polystore.migration.Migration;
import dev.polystore.spi.ScanPlan;
import dev.polystore.migration.ScanResult;
import dev.polystore.testkit.redis.RedisProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the Redis scan adds to the kit's contract: index keys read back, positions across processes and restarts. */
class RedisScanTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("partition index keys parse back to store and partition key; item keys and records are not index keys")
    void indexKeys() {
        Layout layout = new Layout("ps:");
        for (String pk : List.of("a}b", "a%7Db", "{x", "%", "%25", "plain", "ü}z:users")) {
            Layout.Index index = layout.parseIndex(layout.index("users", pk));
            assertEquals(new Layout.Index("users", pk), index, "partition key " + pk);
        }
        assertNull(layout.parseIndex(layout.item("users", Key.of("p", "x}z:users"))), "a sort key holding }z:");
        assertNull(layout.parseIndex(layout.record("p", "id")));
        assertNull(layout.parseIndex("other:{p}z:users".getBytes(StandardCharsets.UTF_8)), "another prefix");
        assertEquals("a\\*b\\?\\[c\\]\\\\{*}z:users", new Layout("a*b?[c]\\").indexPattern("users"));
        assertEquals("ps:{*}z:*", layout.indexPattern(null));
    }

    @Test
    @DisplayName("a position resumes in another process; after a server restart it is refused, never misread")
    void positionsAcrossProcessesAndRestarts() {
        try (RedisProcess server = RedisProcess.builder().dir(dir).set("appendonly", "yes").set("appendfsync", "always")
                .start()) {
            String uri = "redis://" + server.host() + ":" + server.port();
            Set<Key> written = new HashSet<>();
            String position;
            List<Key> seen = new ArrayList<>();
            try (Storage a = StoreFactory.open(TestConfigs.redis(uri).build())) {
                Store<byte[]> s = a.store("scanned", Codec.bytes());
                List<CompletableFuture<?>> puts = new ArrayList<>();
                for (int i = 0; i < 60; i++) {
                    Key k = Key.of("p" + (i % 12), "s" + i);
                    written.add(k);
                    puts.add(s.put(Item.of(k, new byte[] {(byte) i})));
                }
                CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).join();
                Migration m = Migration.of(a);
                ScanPlan plan = m.plan("scanned", 1).join();
                ScanResult first = m.read("scanned", plan.positions().get(0), 7).join();
                first.items().forEach(i -> seen.add(i.key()));
                position = first.next();
            }
            try (Storage b = StoreFactory.open(TestConfigs.redis(uri).build())) {
                Migration m = Migration.of(b);
                String p = position;
                String saved = position;
                int pages = 0;
                while (p != null) {
                    assertTrue(++pages < 100, "the segment did not end");
                    ScanResult page = m.read("scanned", p, 7).join();
                    page.items().forEach(i -> seen.add(i.key()));
                    p = page.next();
                }
                assertEquals(written.size(), seen.size(), "every item once, resumed in another process");
                assertEquals(written, new HashSet<>(seen));
                position = saved;
            }
            server.stop();
            server.start();
            try (Storage c = StoreFactory.open(TestConfigs.redis(uri).build())) {
                Migration m = Migration.of(c);
                assertEquals(1, m.get("scanned", Key.of("p0", "s0")).join().orElseThrow().version(), "the data survived");
                String stale = position;
                CompletionException e = assertThrows(CompletionException.class, () -> m.read("scanned", stale, 7).join());
                assertTrue(e.getCause() instanceof StoreException && e.getCause().getMessage().contains("restarted"),
                        String.valueOf(e.getCause()));
                ScanPlan again = m.plan("scanned", 2).join();
                Set<Key> rescanned = new HashSet<>();
                for (String start : again.positions()) {
                    String p = start;
                    while (p != null) {
                        ScanResult page = m.read("scanned", p, 50).join();
                        page.items().forEach(i -> assertTrue(rescanned.add(i.key()), "a key twice"));
                        p = page.next();
                    }
                }
                assertEquals(written, rescanned, "a new plan after the restart reads every item once");
            }
        }
    }
}
