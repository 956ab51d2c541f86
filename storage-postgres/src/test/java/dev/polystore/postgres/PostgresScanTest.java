package dev.polystore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import dev.polystore.ValidationException;
import dev.polystore.migration.Migration;
import dev.polystore.spi.ScanPlan;
import dev.polystore.migration.ScanResult;
import dev.polystore.spi.KeySegment;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the PostgreSQL scan adds to the kit's contract: sampled boundaries that balance, positions of other engines refused. */
class PostgresScanTest {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    @Test
    @DisplayName("after ANALYZE, 8 segments of 4,000 items are all non-empty and none holds over 3x its share")
    void sampledBoundariesBalance() throws Exception {
        String prefix = "s" + UUID.randomUUID().toString().substring(0, 6) + "_";
        StorageConfig config = Pg.config(POSTGRES.server()).set("postgres.table_prefix", prefix).build();
        try (Storage storage = StoreFactory.open(config)) {
            var store = storage.store("balanced", Codec.bytes());
            List<Item<byte[]>> items = new ArrayList<>();
            for (int i = 0; i < 4000; i++) {
                items.add(Item.of(Key.of("p" + (i % 97), String.format("s%05d", i)), new byte[] {(byte) i}));
                if (items.size() == 500) {
                    store.batchPut(items).join();
                    items.clear();
                }
            }
            try (Connection c = POSTGRES.server().connect(Pg.DATABASE); Statement s = c.createStatement()) {
                s.execute("ANALYZE \"public\".\"" + prefix + "balanced\"");
            }
            Migration m = Migration.of(storage);
            ScanPlan plan = m.plan("balanced", 8).join();
            assertTrue(plan.estimatedItems() > 2000 && plan.estimatedItems() < 8000, "estimate " + plan.estimatedItems());
            Set<Key> seen = new HashSet<>();
            for (String position : plan.positions()) {
                int inSegment = 0;
                String p = position;
                while (p != null) {
                    ScanResult page = m.read("balanced", p, 1000).join();
                    for (var item : page.items()) {
                        assertTrue(seen.add(item.key()), "a key in two segments");
                    }
                    inSegment += page.items().size();
                    p = page.next();
                }
                assertTrue(inSegment > 0 && inSegment <= 3 * 4000 / 8, "a segment of " + inSegment + " items");
            }
            assertEquals(4000, seen.size());
        }
    }

    @Test
    @DisplayName("a position made by another engine's key ranges (SQLite's) is refused with ValidationException")
    void foreignKeySegmentRefused() {
        try (Storage storage = StoreFactory.open(Pg.config(POSTGRES.server()).build())) {
            String sqlite = new KeySegment("sqlite", null, null, null).encode();
            CompletionException e = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
                    () -> Migration.of(storage).read("foreign_pos", sqlite, 10).join());
            assertTrue(e.getCause() instanceof ValidationException, String.valueOf(e.getCause()));
        }
    }
}
