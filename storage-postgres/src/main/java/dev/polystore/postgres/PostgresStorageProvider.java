package dev.polystore.postgres;

import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;

/**
 * Provider {@code postgres}: PostgreSQL through pgjdbc and a HikariCP pool. Settings live under
 * {@code [storage.postgres]} ({@code url} or {@code host}/{@code port}/{@code database},
 * {@code user}, {@code password} or {@code password_env}, {@code schema}, {@code table_prefix},
 * {@code create_tables}, pool, timeouts, {@code synchronous_commit}, SSL); see
 * {@code docs/postgres.md}. Thread-safe and cheap to construct.
 */
public final class PostgresStorageProvider implements StorageProvider {
    /** The provider name, also the config section {@code [storage.postgres]}. */
    public static final String NAME = "postgres";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String artifact() {
        return "dev.polystore:storage-postgres";
    }

    /**
     * Reads the section, connects once to check the server and the schema (migrating it when
     * {@code create_tables = true}), then opens the pool. Blocks for at most about
     * {@code connect_timeout_ms} per connection attempt.
     *
     * @throws dev.polystore.ConfigurationException for bad settings, a refused login, a missing
     *         database or schema tables that may not be created
     * @throws dev.polystore.UnavailableException if the server cannot be reached
     */
    @Override
    public StorageBackend open(ProviderContext context) {
        PostgresSettings settings = PostgresSettings.from(context.config());
        return PostgresBackend.open(settings, context.clock());
    }
}
