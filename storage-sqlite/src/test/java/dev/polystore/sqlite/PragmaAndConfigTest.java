package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.ConfigurationException;
import dev.polystore.Health;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import dev.polystore.UnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PragmaAndConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsAreSetAndReadBack() {
        try (Storage storage = Sqlite.open(dir.resolve("d.db"))) {
            Health h = await(storage.health());
            assertTrue(h.healthy(), h.toString());
            Map<String, String> p = h.details();
            assertEquals("wal", p.get("journal_mode"));
            assertEquals("2", p.get("synchronous"), "FULL by default: an acknowledged write is durable");
            assertEquals("5000", p.get("busy_timeout"));
            assertEquals("1", p.get("foreign_keys"));
            assertEquals("-8192", p.get("cache_size"));
            assertEquals("4096", p.get("page_size"));
            assertEquals("UTF-8", p.get("encoding"));
            assertEquals("1", p.get("query_only"), "reader connections cannot write");
            assertEquals(String.valueOf(Schema.CURRENT), p.get("schema_version"));
        }
    }

    @Test
    void configuredValuesAreSetAndReadBack() throws Exception {
        Path db = dir.resolve("c.db");
        try (Storage storage = Sqlite.open(db, Map.of("synchronous", "normal", "busy_timeout_ms", "1234",
                "cache_size_kib", "2048", "page_size", "8192", "readers", "2"))) {
            Map<String, String> p = await(storage.health()).details();
            assertEquals("1", p.get("synchronous"));
            assertEquals("1234", p.get("busy_timeout"));
            assertEquals("-2048", p.get("cache_size"));
            assertEquals("8192", p.get("page_size"));
            assertEquals("2", p.get("readers"));
        }
        try (Connection c = Sqlite.raw(db); Statement s = c.createStatement()) {
            assertEquals("wal", s.executeQuery("PRAGMA journal_mode").getString(1), "WAL is persistent in the file");
        }
    }

    @Test
    void everyKeyCanBeSetInTheTomlFile() throws Exception {
        Path toml = dir.resolve("polystore.toml");
        Path db = dir.resolve("from toml/t.db");
        Files.writeString(toml, String.join("\n",
                "[storage]",
                "backend = \"sqlite\"",
                "[storage.sqlite]",
                "path = \"" + db.toString().replace("\\", "\\\\") + "\"",
                "synchronous = \"EXTRA\"",
                "busy_timeout_ms = 2500",
                "readers = 3",
                "page_size = 4096",
                "cache_size_kib = 1024",
                "group_commit_max_ops = 50",
                "expiry_purge_interval_s = 0",
                ""));
        try (Storage storage = StoreFactory.open(StorageConfig.fromToml(toml))) {
            Map<String, String> p = await(storage.health()).details();
            assertEquals("3", p.get("synchronous"));
            assertEquals("2500", p.get("busy_timeout"));
            assertEquals("3", p.get("readers"));
            assertEquals("-1024", p.get("cache_size"));
        }
        assertTrue(Files.exists(db));
    }

    @Test
    void aPageSizeThatDoesNotMatchTheFileIsAnError() {
        Path db = dir.resolve("p.db");
        try (Storage storage = Sqlite.open(db)) {
            await(Sqlite.strings(storage).put(Item.of("p", "a", "v")));
        }
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> Sqlite.open(db, Map.of("page_size", "16384")));
        assertTrue(e.getMessage().contains("storage.sqlite.page_size") && e.getMessage().contains("4096"), e.getMessage());
        // Without the key the file's own page size is accepted.
        try (Storage storage = Sqlite.open(db)) {
            assertTrue(await(Sqlite.strings(storage).get("p", "a")).isPresent());
        }
    }

    @Test
    void aFileWithAnotherTextEncodingIsRefused() throws Exception {
        Path db = dir.resolve("utf16.db");
        try (Connection c = Sqlite.raw(db); Statement s = c.createStatement()) {
            s.execute("PRAGMA encoding = 'UTF-16le'");
            s.execute("CREATE TABLE other (x TEXT)");
        }
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Sqlite.open(db));
        assertTrue(e.getMessage().contains("UTF-16") && e.getMessage().contains("UTF-8"), e.getMessage());
    }

    @Test
    void badValuesAndUnknownKeysFailAtOpenNamingTheKey() {
        assertMessage("storage.sqlite.synchronous", Map.of("synchronous", "sometimes"));
        assertMessage("storage.sqlite.busy_timeout_ms", Map.of("busy_timeout_ms", "-1"));
        assertMessage("storage.sqlite.readers", Map.of("readers", "0"));
        assertMessage("storage.sqlite.page_size", Map.of("page_size", "5000"));
        assertMessage("storage.sqlite.cache_size_kib", Map.of("cache_size_kib", "lots"));
        assertMessage("storage.sqlite.group_commit_max_ops", Map.of("group_commit_max_ops", "0"));
        assertMessage("storage.sqlite.expiry_purge_interval_s", Map.of("expiry_purge_interval_s", "-5"));
        assertMessage("storage.sqlite.jounal_mode", Map.of("jounal_mode", "wal"));
        assertTrue(!Files.exists(dir.resolve("bad.db")), "nothing is created when the config is wrong");
    }

    @Test
    void inMemoryPathsAreRefused() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> StoreFactory.open(StorageConfig.builder().backend("sqlite")
                        .set("sqlite.path", ":memory:").build()));
        assertTrue(e.getMessage().contains("storage.sqlite.path"), e.getMessage());
    }

    @Test
    void aPathThatCannotBeOpenedIsAConfigurationErrorNamingTheKey() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("a-folder.db"));
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Sqlite.open(folder));
        assertTrue(e.getMessage().contains("storage.sqlite.path") && e.getMessage().contains("a-folder.db"), e.getMessage());
        assertTrue(e.getCause() instanceof SQLException, "the driver's exception is the cause");
    }

    @Test
    void aDatabaseLockedPastTheBusyTimeoutAtOpenIsRetryable() throws Exception {
        Path db = dir.resolve("locked-at-open.db");
        try (Storage storage = Sqlite.open(db)) {
            await(Sqlite.strings(storage).put(Item.of("p", "a", "v")));
        }
        try (Connection c = Sqlite.raw(db); Statement s = c.createStatement()) {
            s.execute("BEGIN EXCLUSIVE");
            UnavailableException e = assertThrows(UnavailableException.class,
                    () -> Sqlite.open(db, Map.of("busy_timeout_ms", "200")));
            assertTrue(e.retryable() && e.getMessage().contains("busy_timeout_ms"), e.getMessage());
            s.execute("ROLLBACK");
        }
    }

    @Test
    void parentFoldersAreCreated() {
        Path db = dir.resolve("a/b/c/x.db");
        try (Storage storage = Sqlite.open(db)) {
            await(Sqlite.strings(storage).put(Item.of("p", "a", "v")));
        }
        assertTrue(Files.exists(db));
    }

    private void assertMessage(String key, Map<String, String> settings) {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> Sqlite.open(dir.resolve("bad.db"), settings));
        assertTrue(e.getMessage().contains(key), "message should name " + key + ": " + e.getMessage());
    }
}
