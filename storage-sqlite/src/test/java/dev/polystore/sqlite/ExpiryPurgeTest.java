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

    private static long rows(Path db, String table) throws Exception {
        try (Connection c = Sqlite.raw(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM \"" + table + "\"")) {
            return rs.getLong(1);
        }
    }
}
