package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static dev.polystore.sqlite.Sqlite.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Item;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.UnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CloseTest {
    @TempDir
    Path dir;

    @Test
    void closeCommitsWritesInFlightAndCompletesEveryFuture() throws Exception {
        Path db = dir.resolve("c.db");
        List<CompletableFuture<Item<String>>> puts = new ArrayList<>();
        List<CompletableFuture<?>> reads = new ArrayList<>();
        Storage storage = Sqlite.open(db);
        Store<String> s = Sqlite.strings(storage);
        await(s.put(Item.of("p", "first", "v")));
        for (int i = 0; i < 500; i++) {
            puts.add(s.put(Item.of("p", "k" + i, "v" + i)));
            if (i % 50 == 0) {
                reads.add(s.query(Query.partition("p").limit(10)));
            }
        }
        storage.close();

        for (CompletableFuture<Item<String>> p : puts) {
            assertTrue(p.isDone(), "close() returned with a write future still pending");
            assertEquals(1, p.join().version(), "a write queued before close is committed");
        }
        for (CompletableFuture<?> r : reads) {
            assertTrue(r.isDone(), "close() returned with a read future still pending");
        }
        assertTrue(failure(UnavailableException.class, s.put(Item.of("p", "late", "v"))).retryable());

        Path wal = dir.resolve("c.db-wal");
        assertTrue(!Files.exists(wal) || Files.size(wal) == 0, "close checkpoints the WAL into the database file");

        try (Storage again = Sqlite.open(db)) {
            assertEquals(501, await(Sqlite.strings(again).query("p", "")).size());
        }
    }

    @Test
    void closeWhileTheWriterWaitsOnALockFailsThoseWritesInsteadOfHanging() throws Exception {
        Path db = dir.resolve("locked.db");
        Storage storage = Sqlite.open(db, Map.of("busy_timeout_ms", "300"));
        Store<String> s = Sqlite.strings(storage);
        await(s.put(Item.of("p", "a", "v")));
        List<CompletableFuture<Item<String>>> puts = new ArrayList<>();
        try (Connection other = Sqlite.raw(db); Statement st = other.createStatement()) {
            st.execute("BEGIN IMMEDIATE");
            for (int i = 0; i < 20; i++) {
                puts.add(s.put(Item.of("p", "k" + i, "v")));
            }
            storage.close();
            st.execute("ROLLBACK");
        }
        for (CompletableFuture<Item<String>> p : puts) {
            assertTrue(p.isDone(), "close() returned with a write future still pending");
            assertTrue(failure(UnavailableException.class, p).retryable());
        }
        try (Storage again = Sqlite.open(db)) {
            assertEquals(1, await(Sqlite.strings(again).query("p", "")).size(), "nothing of the failed writes was applied");
        }
    }

    @Test
    void closeFromACallbackDoesNotWaitForItself() {
        Storage storage = Sqlite.open(dir.resolve("cb.db"));
        Store<String> s = Sqlite.strings(storage);
        CompletableFuture<Item<String>> later = new CompletableFuture<>();
        CompletableFuture<Void> closedInCallback = s.put(Item.of("p", "a", "v")).thenAccept(item -> {
            s.put(Item.of("p", "b", "v")).whenComplete((v, e) -> later.complete(v));
            storage.close();
        });
        await(closedInCallback);
        assertEquals(1, await(later).version(), "a write queued before close, from the callback, is committed");
        try (Storage again = Sqlite.open(dir.resolve("cb.db"))) {
            assertEquals(2, await(Sqlite.strings(again).query("p", "")).size());
        }
    }

    @Test
    void closeIsIdempotentAndHealthReportsClosed() {
        Storage storage = Sqlite.open(dir.resolve("h.db"));
        assertTrue(await(storage.health()).healthy());
        storage.close();
        storage.close();
        assertFalse(await(storage.health()).healthy());
    }
}
