package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import dev.polystore.testkit.MutableClock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Expired items are absent to reads at once and deleted from the file by the writer's purge. */
class ExpiryPurgeTest {
    @TempDir
    Path dir;

    @Test
    void purgeDeletesExactlyTheExpiredRowsByTheBackendsClock() throws Exception {
        Path db = dir.resolve("e.db");
        MutableClock clock = MutableClock.startingNow();
        try (Storage storage = StoreFactory.open(Sqlite.config(db, Map.of("expiry_purge_interval_s", "0")).withClock(clock))) {
            Store<String> s = Sqlite.strings(storage);
            Store<String> other = storage.store("other", Codec.utf8());
            List<CompletableFuture<?>> puts = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                puts.add(s.put(Item.of("p", "short" + i, "v").withExpiry(clock.instant().plusSeconds(10))));
                puts.add(other.put(Item.of("p", "short" + i, "v").withExpiry(clock.instant().plusSeconds(10))));
                puts.add(s.put(Item.of("p", "long" + i, "v").withExpiry(clock.instant().plusSeconds(1000))));
                puts.add(s.put(Item.of("p", "forever" + i, "v")));
            }
            puts.forEach(Sqlite::await);
            SqliteBackend backend = Sqlite.backend(storage);

            assertEquals(0L, await(backend.purgeExpired()), "nothing has expired yet");
            clock.advance(Duration.ofSeconds(10));
            assertEquals(60, await(s.query("p", "")).size(), "expired items are absent before any purge");
            assertEquals(120L, rows(db, "store_kit") + rows(db, "store_other"), "expired rows are still in the file");

            assertEquals(60L, await(backend.purgeExpired()), "every store's expired items are purged");
            assertEquals(60L, rows(db, "store_kit"));
            assertEquals(0L, rows(db, "store_other"));
            assertEquals(60, await(s.query("p", "")).size(), "purging changes nothing a reader can see");
            assertEquals(60L, backend.purged());
            assertTrue(await(s.put(Item.of("p", "short1", "again"))).version() == 1, "a purged item starts again at 1");
        }
    }

    @Test
    void purgeDeletesTheNativeIndexEntriesOfExpiredItems() throws Exception {
        Path db = dir.resolve("ix.db");
        MutableClock clock = MutableClock.startingNow();
        try (Storage storage = StoreFactory.open(Sqlite.config(db, Map.of("expiry_purge_interval_s", "0")).withClock(clock))) {
            Store<dev.polystore.testkit.index.Doc> docs = storage.store("docs", dev.polystore.testkit.index.Doc.CODEC,
                    dev.polystore.testkit.index.Doc.OPTIONS);
            for (int i = 0; i < 10; i++) {
                var doc = new dev.polystore.testkit.index.Doc("open", "1", List.of("t"), "e" + i, "");
                Item<dev.polystore.testkit.index.Doc> item = Item.of("d" + i, "0", doc);
                Sqlite.await(docs.put(i < 4 ? item.withExpiry(clock.instant().plusSeconds(10)) : item));
            }
            SqliteBackend backend = Sqlite.backend(storage);
            assertEquals(30L, rows(db, "store_docs_ix"), "3 entries per item");
            clock.advance(Duration.ofSeconds(10));
            assertEquals(6, await(docs.index("byStatus").query("open")).size(), "expired items are not in the index");
            assertEquals(4L, await(backend.purgeExpired()), "the items purged (entries are not counted)");
            assertEquals(18L, rows(db, "store_docs_ix"), "the expired items' entries are purged with them");
            assertEquals(6, await(docs.index("byStatus").query("open")).size());
            assertEquals(6, await(docs.index("byTag").query("t")).size());
        }
    }

    private static long rows(Path db, String table) throws Exception {
        try (Connection c = Sqlite.raw(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM \"" + table + "\"")) {
            return rs.getLong(1);
        }
    }
}
