package dev.polystore.postgres;

import static dev.polystore.postgres.Pg.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Condition;
import dev.polystore.ConfigurationException;
import dev.polystore.Health;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import dev.polystore.UnavailableException;
import dev.polystore.spi.ConfigSection;
import dev.polystore.spi.WriteOp;
import dev.polystore.testkit.MutableClock;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The backend's own behaviour beyond the kit: settings, schema, health, expiry purge, close. */
class PostgresBackendTest {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    /** A table prefix of this test's own, so tables (and the schema-version table) start empty. */
    static String prefix() {
        return "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 8) + "_";
    }

    static ConfigSection section(Map<String, String> values) {
        return new ConfigSection("storage.postgres", values);
    }

    @Nested
    @DisplayName("settings")
    class Settings {
        @Test
        @DisplayName("a JDBC URL or host/port/database, not both; a password never in the URL, toString or messages")
        void urlAndPassword() {
            ConfigurationException both = assertThrows(ConfigurationException.class, () -> PostgresSettings.from(section(
                    Map.of("url", "jdbc:postgresql://h/db", "host", "h"))));
            assertTrue(both.getMessage().contains("storage.postgres.url"), both.getMessage());
            ConfigurationException inUrl = assertThrows(ConfigurationException.class, () -> PostgresSettings.from(section(
                    Map.of("url", "jdbc:postgresql://h/db?password=s3cret"))));
            assertFalse(inUrl.getMessage().contains("s3cret"), inUrl.getMessage());
            PostgresSettings s = PostgresSettings.from(section(Map.of("host", "db.example.com", "port", "6432",
                    "database", "app", "user", "svc", "password", "s3cret")));
            assertEquals("jdbc:postgresql://db.example.com:6432/app", s.url());
            assertFalse(s.toString().contains("s3cret"), s.toString());
            assertFalse(s.describe().contains("s3cret"), s.describe());
            assertEquals("s3cret", s.password());
            assertEquals("on", s.synchronousCommit());
            assertEquals(5, s.prepareThreshold());
        }

        @Test
        @DisplayName("the password from an environment variable; a missing variable is named, a value never shown")
        void passwordEnv() {
            Map<String, String> env = Map.of("APP_DB_PASSWORD", "from-env");
            PostgresSettings s = PostgresSettings.from(section(Map.of("database", "app", "password_env", "APP_DB_PASSWORD")),
                    env::get);
            assertEquals("from-env", s.password());
            ConfigurationException missing = assertThrows(ConfigurationException.class, () -> PostgresSettings.from(
                    section(Map.of("database", "app", "password_env", "NOT_SET_ANYWHERE")), env::get));
            assertTrue(missing.getMessage().contains("NOT_SET_ANYWHERE") && missing.getMessage().contains("password_env"),
                    missing.getMessage());
            assertThrows(ConfigurationException.class, () -> PostgresSettings.from(section(Map.of("database", "app",
                    "password", "x", "password_env", "APP_DB_PASSWORD")), env::get));
        }

        @Test
        @DisplayName("identifiers, timeouts and levels are checked, naming the key, the value and what is expected")
        void checked() {
            for (Map<String, String> bad : List.<Map<String, String>>of(
                    Map.of("database", "app", "schema", "Bad\"Schema"),
                    Map.of("database", "app", "table_prefix", "much_too_long_prefix"),
                    Map.of("database", "app", "table_prefix", "9x"),
                    Map.of("database", "app", "statement_timeout_ms", "5000", "socket_timeout_ms", "5000"),
                    Map.of("database", "app", "synchronous_commit", "sometimes"),
                    Map.of("database", "app", "ssl_mode", "maybe"),
                    Map.of("database", "app", "pool_size", "2", "pool_min_idle", "3"),
                    Map.of("database", "app", "no_such_key", "1"),
                    Map.of("url", "jdbc:mysql://h/db"),
                    Map.of())) {
                ConfigurationException e = assertThrows(ConfigurationException.class, () -> PostgresSettings.from(section(bad)),
                        bad.toString());
                assertTrue(e.getMessage().contains("storage.postgres."), e.getMessage());
            }
        }
    }

    @Nested
    @DisplayName("schema")
    class SchemaTests {
        @Test
        @DisplayName("without create_tables, missing tables fail naming the table and the key; with it they are created")
        void createTables() {
            String prefix = prefix();
            StorageConfig off = Pg.config(POSTGRES.server()).set("postgres.table_prefix", prefix)
                    .set("postgres.create_tables", false).build();
            ConfigurationException noSchema = assertThrows(ConfigurationException.class, () -> StoreFactory.open(off));
            assertTrue(noSchema.getMessage().contains(prefix + "_schema") && noSchema.getMessage().contains("create_tables"),
                    noSchema.getMessage());
            StoreFactory.open(Pg.config(POSTGRES.server()).set("postgres.table_prefix", prefix).build()).close();
            try (Storage storage = StoreFactory.open(off)) {
                CompletionException e = assertThrows(CompletionException.class,
                        () -> storage.store("absent", Codec.utf8()).get("a", "b").join());
                assertTrue(e.getCause() instanceof ConfigurationException, String.valueOf(e.getCause()));
                assertTrue(e.getCause().getMessage().contains(prefix + "absent")
                        && e.getCause().getMessage().contains("storage.postgres.create_tables"), e.getCause().getMessage());
            }
        }

        @Test
        @DisplayName("the schema version is recorded, and a newer one is refused")
        void newerVersionRefused() throws Exception {
            String prefix = prefix();
            StorageConfig config = Pg.config(POSTGRES.server()).set("postgres.table_prefix", prefix).build();
            StoreFactory.open(config).close();
            try (Connection c = POSTGRES.server().connect(Pg.DATABASE); Statement s = c.createStatement()) {
                try (ResultSet rs = s.executeQuery("SELECT version FROM \"" + prefix + "_schema\"")) {
                    assertTrue(rs.next());
                    assertEquals(Schema.CURRENT, rs.getInt(1));
                }
                s.execute("UPDATE \"" + prefix + "_schema\" SET version = 99");
            }
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> StoreFactory.open(config));
            assertTrue(e.getMessage().contains("99") && e.getMessage().contains("newer"), e.getMessage());
        }

        @Test
        @DisplayName("a table of another layout under Polystore's name is refused, not used")
        void foreignTable() throws Exception {
            String prefix = prefix();
            StorageConfig config = Pg.config(POSTGRES.server()).set("postgres.table_prefix", prefix).build();
            try (Connection c = POSTGRES.server().connect(Pg.DATABASE); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE \"" + prefix + "users\" (pk text, sk text, v int)");
            }
            try (Storage storage = StoreFactory.open(config)) {
                CompletionException e = assertThrows(CompletionException.class,
                        () -> storage.store("users", Codec.utf8()).get("a", "b").join());
                assertTrue(e.getCause() instanceof ConfigurationException && e.getCause().getMessage().contains("columns"),
                        String.valueOf(e.getCause()));
            }
        }

        @Test
        @DisplayName("a missing database is a configuration error naming it; an unreachable server is retryable")
        void openFailures() throws Exception {
            StorageConfig noDb = Pg.config(POSTGRES.server()).set("postgres.url", POSTGRES.server().jdbcUrl("no_such_db"))
                    .build();
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> StoreFactory.open(noDb));
            assertTrue(e.getMessage().contains("no_such_db"), e.getMessage());
            int closedPort;
            try (ServerSocket s = new ServerSocket(0)) {
                closedPort = s.getLocalPort();
            }
            StorageConfig down = Pg.config(POSTGRES.server()).set("postgres.url", "jdbc:postgresql://127.0.0.1:" + closedPort
                    + "/x").set("postgres.connect_timeout_ms", 1000).build();
            UnavailableException u = assertThrows(UnavailableException.class, () -> StoreFactory.open(down));
            assertTrue(u.retryable());
        }
    }

    @Test
    @DisplayName("health reports the server version, the durability settings read back and the pool, never the password")
    void health() {
        try (Storage storage = StoreFactory.open(Pg.config(POSTGRES.server()).build())) {
            Health h = await(storage.health());
            assertTrue(h.healthy(), h.toString());
            Map<String, String> d = h.details();
            assertTrue(d.get("server_version").startsWith("1"), d.toString());
            assertEquals("on", d.get("synchronous_commit"), "read back from the server");
            // The embedded server's own default is off, so the backend sent the configured level.
            assertEquals("true", d.get("synchronous_commit_sent"));
            assertEquals("as configured", d.get("durability"));
            assertTrue(d.containsKey("fsync") && d.containsKey("full_page_writes") && d.containsKey("pool_active")
                    && d.containsKey("pool_idle") && d.containsKey("pool_total") && d.containsKey("pool_waiting"), d.toString());
        }
    }

    @Test
    @DisplayName("synchronous_commit = server takes the server's level as it is and reports it")
    void synchronousCommitServer() {
        try (Storage storage = StoreFactory.open(Pg.config(POSTGRES.server()).set("postgres.synchronous_commit", "server")
                .build())) {
            Map<String, String> d = await(storage.health()).details();
            assertEquals("off", d.get("synchronous_commit"), "the embedded server's default");
            assertEquals("false", d.get("synchronous_commit_sent"));
        }
    }

    @Test
    @DisplayName("expired rows are purged through the expiry index, and were invisible before")
    void purge() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        String prefix = prefix();
        StorageConfig config = Pg.config(POSTGRES.server()).set("postgres.table_prefix", prefix).build();
        try (PostgresBackend backend = PostgresBackend.open(PostgresSettings.from(Pg.section(config, Map.of())), clock)) {
            await(backend.prepareTable("exp"));
            for (int i = 0; i < 30; i++) {
                await(backend.put(new WriteOp.Put("exp", Key.of("p", "k" + i), new byte[] {1},
                        i < 20 ? clock.instant().plusSeconds(10) : null, Condition.none())));
            }
            clock.advance(Duration.ofSeconds(11));
            assertTrue(await(backend.get("exp", Key.of("p", "k0"))).isEmpty());
            assertEquals(20L, await(backend.purgeExpired()));
            assertEquals(20L, backend.purged());
        }
        try (Connection c = POSTGRES.server().connect(Pg.DATABASE); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM \"" + prefix + "exp\"")) {
                rs.next();
                assertEquals(10, rs.getInt(1));
            }
            try (ResultSet rs = s.executeQuery("SELECT indexdef FROM pg_indexes WHERE indexname = '" + prefix + "exp_exp'")) {
                assertTrue(rs.next(), "the expiry index exists");
                assertTrue(rs.getString(1).contains("WHERE (expires_at IS NOT NULL)"), rs.getString(1));
            }
        }
    }

    @Test
    @DisplayName("close lets queued operations finish, then refuses new ones")
    void closeDrains() {
        Storage storage = StoreFactory.open(Pg.config(POSTGRES.server()).set("postgres.pool_size", 2)
                .set("postgres.run_on_caller", false).build());
        Store<String> s = storage.store("drain", Codec.utf8());
        s.get("warm", "up").join();
        String pk = "drain-" + UUID.randomUUID();
        List<CompletableFuture<Item<String>>> writes = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            writes.add(s.put(Item.of(pk, String.format("%04d", i), "v")));
        }
        storage.close();
        for (CompletableFuture<Item<String>> w : writes) {
            assertEquals(1, w.orTimeout(1, TimeUnit.MINUTES).join().version(), "a write queued before close completed");
        }
        assertThrows(CompletionException.class, () -> s.get(pk, "0000").join());
        try (Storage again = StoreFactory.open(Pg.config(POSTGRES.server()).build())) {
            assertEquals(300, again.store("drain", Codec.utf8()).query(pk, "").join().size());
        }
    }

    @Test
    @DisplayName("a statement still running after statement_timeout_ms is cancelled: UnavailableException, nothing written")
    void statementTimeout() throws Exception {
        String prefix = prefix();
        try (Storage storage = StoreFactory.open(Pg.config(POSTGRES.server()).set("postgres.table_prefix", prefix)
                .set("postgres.statement_timeout_ms", 300).build());
             Connection other = POSTGRES.server().connect(Pg.DATABASE)) {
            Store<String> s = storage.store("slow", Codec.utf8());
            s.put(Item.of("p", "a", "v")).join();
            other.setAutoCommit(false);
            try (java.sql.PreparedStatement lock = other.prepareStatement("SELECT 1 FROM \"" + prefix
                    + "slow\" WHERE pk = ? FOR UPDATE")) {
                lock.setBytes(1, "p".getBytes(StandardCharsets.UTF_8));
                lock.executeQuery().close();
            }
            // The put waits for the row lock until the watchdog cancels it.
            CompletionException e = assertThrows(CompletionException.class, () -> s.put(Item.of("p", "a", "w")).join());
            assertTrue(e.getCause() instanceof UnavailableException && e.getCause().getMessage().contains("statement_timeout_ms"),
                    String.valueOf(e.getCause()));
            other.rollback();
            Item<String> item = s.get("p", "a").join().orElseThrow();
            assertEquals("v", item.value());
            assertEquals(1, item.version());
            s.put(Item.of("p", "a", "x")).join();
            assertEquals(2, s.get("p", "a").join().orElseThrow().version(), "the connection works after the cancel");
        }
    }

    @Test
    @DisplayName("batch puts keep per-item versions right, in byte order whatever the order given")
    void batchVersions() {
        try (Storage storage = StoreFactory.open(Pg.config(POSTGRES.server()).build())) {
            Store<String> s = storage.store("batchv", Codec.utf8());
            String pk = "b-" + UUID.randomUUID();
            s.put(Item.of(pk, "b", "x")).join();
            s.batchPut(List.of(Item.of(pk, "c", "1"), Item.of(pk, "\uD83D\uDE00", "2"), Item.of(pk, "b", "3"),
                    Item.of(pk, "a", "4"))).join();
            assertEquals(2, s.get(pk, "b").join().orElseThrow().version());
            assertEquals(1, s.get(pk, "a").join().orElseThrow().version());
            assertEquals(List.of("a", "b", "c", "\uD83D\uDE00"), s.query(pk, "").join().stream().map(Item::sk).toList());
            assertEquals("2", new String(s.get(pk, "\uD83D\uDE00").join().orElseThrow().value()
                    .getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
        }
    }
}
