package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.ConfigurationException;
import dev.polystore.DocumentStore;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.document.NewDocument;
import dev.polystore.document.SearchHit;
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

    /** Schema version 3's native search index of store "documents": FTS5's unicode61 over the JSON fields. */
    private static final String[] VERSION_3_SEARCH_INDEX = {
        "CREATE VIRTUAL TABLE \"store_documents_fts\" USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 0')",
        "CREATE TRIGGER \"store_documents_fts_insert\" AFTER INSERT ON \"store_documents\" WHEN new.sk = 'doc#text' "
                + "BEGIN INSERT INTO \"store_documents_fts\" (rowid, title, body) VALUES (new.rowid, "
                + "CASE WHEN json_valid(CAST(new.payload AS TEXT)) THEN json_extract(CAST(new.payload AS TEXT), '$.title') END, "
                + "CASE WHEN json_valid(CAST(new.payload AS TEXT)) THEN json_extract(CAST(new.payload AS TEXT), '$.body') END); END",
        "CREATE TRIGGER \"store_documents_fts_delete\" AFTER DELETE ON \"store_documents\" WHEN old.sk = 'doc#text' "
                + "BEGIN DELETE FROM \"store_documents_fts\" WHERE rowid = old.rowid; END",
        "CREATE TRIGGER \"store_documents_fts_update\" AFTER UPDATE ON \"store_documents\" "
                + "WHEN old.sk = 'doc#text' OR new.sk = 'doc#text' BEGIN "
                + "DELETE FROM \"store_documents_fts\" WHERE rowid = old.rowid; "
                + "INSERT INTO \"store_documents_fts\" (rowid, title, body) SELECT new.rowid, "
                + "CASE WHEN json_valid(CAST(new.payload AS TEXT)) THEN json_extract(CAST(new.payload AS TEXT), '$.title') END, "
                + "CASE WHEN json_valid(CAST(new.payload AS TEXT)) THEN json_extract(CAST(new.payload AS TEXT), '$.body') END "
                + "WHERE new.sk = 'doc#text'; END",
        "INSERT INTO \"store_documents_fts\" (rowid, title, body) SELECT rowid, "
                + "CASE WHEN json_valid(CAST(t.payload AS TEXT)) THEN json_extract(CAST(t.payload AS TEXT), '$.title') END, "
                + "CASE WHEN json_valid(CAST(t.payload AS TEXT)) THEN json_extract(CAST(t.payload AS TEXT), '$.body') END "
                + "FROM \"store_documents\" AS t WHERE t.sk = 'doc#text'",
        "UPDATE _polystore_schema SET version = 3",
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
        assertEquals(List.of(), column(db, "SELECT name FROM sqlite_schema WHERE name LIKE '%fts%'"),
                "version 4 creates no search index where there was none");
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

    /**
     * Rounds of 4 openers racing on a new file: each must open (SQLite may answer SQLITE_BUSY at
     * once, without waiting, while another connection creates the file or switches it to WAL),
     * and exactly one of them migrates it.
     */
    @Test
    void concurrentOpensMigrateExactlyOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 20; round++) {
                Path db = dir.resolve("race-" + round + ".db");
                java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(4);
                List<CompletableFuture<Storage>> opens = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    opens.add(CompletableFuture.supplyAsync(() -> {
                        try {
                            start.await();
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                        return Sqlite.open(db);
                    }, pool));
                }
                int fresh = 0;
                for (CompletableFuture<Storage> f : opens) {
                    try (Storage storage = await(f)) {
                        if (Sqlite.backend(storage).schemaVersionFound() == 0) {
                            fresh++;
                        }
                    }
                }
                assertEquals(1, fresh, "round " + round + ": exactly one opener saw an empty file and migrated it");
                assertEquals(List.of(String.valueOf(Schema.CURRENT)), column(db, "SELECT version FROM _polystore_schema"),
                        "round " + round);
            }
        } finally {
            pool.shutdown();
        }
    }

    private static long count(Path db, String sql) throws SQLException {
        return Long.parseLong(column(db, sql).get(0));
    }

    private static List<Long> ids(List<SearchHit> hits) {
        return hits.stream().map(SearchHit::id).toList();
    }

    @Test
    void version4RebuildsASearchIndexThatVersion3MadeWithUnicode61() throws Exception {
        Path db = dir.resolve("fts-v3.db");
        long kestrel;
        long turkish;
        long decomposed;
        long osage;
        try (Storage storage = Sqlite.open(db)) {
            DocumentStore docs = storage.documents();
            kestrel = await(docs.addDocument(NewDocument.of("Kestrel", "hovers over fields")));
            turkish = await(docs.addDocument(NewDocument.of("\u0130stanbul", "Bosphorus")));
            decomposed = await(docs.addDocument(NewDocument.of("Menu", "cafe\u0301 au lait")));
            osage = await(docs.addDocument(NewDocument.of("Osage", "\uD801\uDCB0\uD801\uDCD8")));
            await(docs.search("kestrel", 10));
        }
        // Turn the file into what schema version 3 left: the same items, the old search index.
        exec(db, "DROP TRIGGER \"store_documents_fts_insert\"", "DROP TRIGGER \"store_documents_fts_delete\"",
                "DROP TRIGGER \"store_documents_fts_update\"", "DROP TABLE \"store_documents_fts\"");
        exec(db, VERSION_3_SEARCH_INDEX);
        String match = "SELECT count(*) FROM store_documents_fts WHERE store_documents_fts MATCH ";
        assertEquals(1, count(db, match + "'\"kestrel\"'"), "the old index works for ASCII");
        assertEquals(0, count(db, match + "'\"istanbul\"'"), "but not beyond: unicode61 does not fold U+0130 to i");
        assertEquals(0, count(db, match + "'\"cafe\"'"), "and keeps the combining mark inside the token");

        try (Storage storage = Sqlite.open(db)) {
            assertEquals(3, Sqlite.backend(storage).schemaVersionFound());
            DocumentStore docs = storage.documents();
            assertEquals(List.of(kestrel), ids(await(docs.search("KESTREL", 10))));
            assertEquals(List.of(turkish), ids(await(docs.search("istanbul", 10))));
            assertEquals(List.of(decomposed), ids(await(docs.search("cafe", 10))));
            assertEquals(List.of(osage), ids(await(docs.search("\uD801\uDCD8\uD801\uDCD8", 10))));
            long later = await(docs.addDocument(NewDocument.of("Later", "istanbul again")));
            assertEquals(List.of(turkish, later), ids(await(docs.search("istanbul", 10))).stream().sorted().toList(),
                    "the new triggers index new writes");
        }
        assertEquals(List.of(String.valueOf(Schema.CURRENT)), column(db, "SELECT version FROM _polystore_schema"));
        assertTrue(column(db, "SELECT sql FROM sqlite_schema WHERE name = 'store_documents_fts'").get(0)
                .contains("tokenize = 'ascii'"));
        assertEquals(List.of("store_documents_fts_insert", "store_documents_fts_update"), column(db, "SELECT name FROM "
                + "sqlite_schema WHERE type = 'trigger' AND sql LIKE '%" + Fts.TOKENS_FUNCTION + "%' ORDER BY name"),
                "the new triggers index the portable tokens");
        assertEquals(3, count(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'"));
        assertEquals(0, count(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND sql LIKE '%json_extract%'"),
                "no old trigger is left");
        assertEquals(5, count(db, "SELECT count(*) FROM store_documents_fts"), "one row per text item, no duplicates");
        try (Storage storage = Sqlite.open(db)) {
            assertEquals(Schema.CURRENT, Sqlite.backend(storage).schemaVersionFound());
            assertEquals(List.of(osage), ids(await(storage.documents().search("\uD801\uDCB0\uD801\uDCB0", 10))));
        }
    }
}
