package dev.polystore.postgres;

import dev.polystore.StorageConfig;
import dev.polystore.spi.ConfigSection;
import dev.polystore.testkit.postgres.PostgresServer;
import java.sql.SQLException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Configurations of the backend against the test run's PostgreSQL, and small test helpers. */
final class Pg {
    /** The database the module's tests share (each test uses its own keys, or its own table prefix). */
    static final String DATABASE = "polystore_test";

    private Pg() {
    }

    /** The backend's config on {@code database} of {@code server}, tables created on demand, a small pool. */
    static StorageConfig.Builder config(PostgresServer server, String database) {
        ensure(server, database, "");
        StorageConfig.Builder b = StorageConfig.builder()
                .backend("postgres")
                .set("postgres.url", server.jdbcUrl(database))
                .set("postgres.user", server.user())
                .set("postgres.create_tables", true)
                .set("postgres.pool_size", 8)
                .set("postgres.pool_min_idle", 1);
        if (!server.password().isEmpty()) {
            b.set("postgres.password", server.password());
        }
        return b;
    }

    static StorageConfig.Builder config(PostgresServer server) {
        return config(server, DATABASE);
    }

    /** Creates {@code database} with {@code options} unless it exists. */
    static void ensure(PostgresServer server, String database, String options) {
        try {
            server.createDatabase(database, options);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create test database " + database, e);
        }
    }

    /** The {@code [storage.postgres]} section of {@code config} with {@code extra} keys over it. */
    static ConfigSection section(StorageConfig config, Map<String, String> extra) {
        Map<String, String> values = new LinkedHashMap<>(config.section("postgres"));
        values.putAll(extra);
        return new ConfigSection("storage.postgres", values);
    }

    /** Opens the backend directly (not through the factory), for tests of its own methods. */
    static PostgresBackend backend(StorageConfig config, Map<String, String> extra) {
        return PostgresBackend.open(PostgresSettings.from(section(config, extra)), Clock.systemUTC());
    }

    static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }
}
