package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.ConfigurationException;
import dev.polystore.Item;
import dev.polystore.Storage;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchemaMigrationTest {
    /** A database exactly as schema version 1 left it: no table registry yet. */
    private static final String[] VERSION_1 = {
        "CREATE TABLE _polystore_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, "
                + "updated_at INTEGER NOT NULL)",
        "INSERT INTO _polystore_schema VALUES (1, 1, 0)",
        "CREATE TABLE \"store_kit\" (pk TEXT NOT NULL, sk TEXT NOT NULL, version INTEGER NOT NULL, "
                + "expires_at INTEGER, payload BLOB NOT NULL, PRIMARY KEY (pk, sk))",
        "INSERT INTO store_kit VALUES ('p', 'a', 3, NULL, X'6869')",
    };

    @TempDir
    Path dir;

    private static void exec(Path db, String... sql) throws SQLException {
        try (Connection c = Sqlite.raw(db); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        }
    }

    private static List<String> column(Path db, String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Connection c = Sqlite.raw(db); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        return values;
    }

    @Test
    void aNewFileIsCreatedAtTheCurrentVersion() throws Exception {
        Path db = dir.resolve("deep/er/new.db");
        try (Storage storage = Sqlite.open(db)) {
            assertEquals(0, Sqlite.backend(storage).schemaVersionFound());
            await(Sqlite.strings(storage).put(Item.of("p", "a", "v")));
        }
        assertEquals(List.of(String.valueOf(Schema.CURRENT)), column(db, "SELECT version FROM _polystore_schema"));
        assertEquals(List.of("kit"), column(db, "SELECT name FROM _polystore_tables"));
    }

    @Test
    void anOlderVersionIsMigratedOnOpenAndOnlyOnce() throws Exception {
        Path db = dir.resolve("v1.db");
        exec(db, VERSION_1);
        try (Storage storage = Sqlite.open(db)) {
            assertEquals(1, Sqlite.backend(storage).schemaVersionFound());
            Item<String> item = await(Sqlite.strings(storage).get("p", "a")).orElseThrow();
            assertEquals("hi", item.value());
            assertEquals(3, item.version());
        }
        assertEquals(List.of(String.valueOf(Schema.CURRENT)), column(db, "SELECT version FROM _polystore_schema"));
        assertEquals(List.of("kit"), column(db, "SELECT name FROM _polystore_tables"), "version 2 registers existing item tables");
        assertEquals(List.of("store_kit_expiry"), column(db, "SELECT name FROM sqlite_schema WHERE type = 'index' "
                + "AND tbl_name = 'store_kit' AND sql IS NOT NULL"), "version 3 indexes expiry of existing item tables");
        try (Storage storage = Sqlite.open(db)) {
            assertEquals(Schema.CURRENT, Sqlite.backend(storage).schemaVersionFound(), "the migrations do not run twice");
        }
    }

    @Test
    void aFailedMigrationLeavesTheFileAsItWas() throws Exception {
        Path db = dir.resolve("broken.db");
        exec(db, VERSION_1);
        // Something in the way of migration 2.
        exec(db, "CREATE TABLE _polystore_tables (unexpected TEXT)");
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Sqlite.open(db));
        assertTrue(e.getCause() instanceof SQLException, "the SQLite error is the cause: " + e.getCause());
        assertEquals(List.of("1"), column(db, "SELECT version FROM _polystore_schema"));
        exec(db, "DROP TABLE _polystore_tables");
        try (Storage storage = Sqlite.open(db)) {
            assertEquals(1, Sqlite.backend(storage).schemaVersionFound());
        }
    }

    @Test
    void aDatabaseFromANewerVersionIsRefused() throws Exception {
        Path db = dir.resolve("future.db");
        exec(db, VERSION_1);
        exec(db, "UPDATE _polystore_schema SET version = 99");
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Sqlite.open(db));
        assertTrue(e.getMessage().contains("schema version 99") && e.getMessage().contains("newer"), e.getMessage());
        assertTrue(e.getMessage().contains("storage.sqlite.path"), e.getMessage());
        assertEquals(List.of("99"), column(db, "SELECT version FROM _polystore_schema"), "the file is not touched");
    }

    @Test
    void concurrentOpensMigrateExactlyOnce() throws Exception {
        Path db = dir.resolve("race.db");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<CompletableFuture<Storage>> opens = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                opens.add(CompletableFuture.supplyAsync(() -> Sqlite.open(db), pool));
            }
            int fresh = 0;
            for (CompletableFuture<Storage> f : opens) {
                try (Storage storage = await(f)) {
                    if (Sqlite.backend(storage).schemaVersionFound() == 0) {
                        fresh++;
                    }
                }
            }
            assertEquals(1, fresh, "exactly one opener saw an empty file and migrated it");
        } finally {
            pool.shutdown();
        }
        assertEquals(List.of(String.valueOf(Schema.CURRENT)), column(db, "SELECT version FROM _polystore_schema"));
    }
}
