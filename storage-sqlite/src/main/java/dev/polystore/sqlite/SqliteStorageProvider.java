package dev.polystore.sqlite;

import dev.polystore.spi.ConfigSection;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;
import java.sql.Connection;
import java.util.function.UnaryOperator;

/**
 * Provider {@code sqlite}: the embedded default. Settings live under {@code [storage.sqlite]}
 * ({@code path}, {@code synchronous}, {@code busy_timeout_ms}, {@code readers},
 * {@code page_size}, {@code cache_size_kib}, {@code group_commit_max_ops}); see
 * {@code docs/sqlite.md}.
 */
public final class SqliteStorageProvider implements StorageProvider {
    /** The provider name, also the config section {@code [storage.sqlite]}. */
    public static final String NAME = "sqlite";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String artifact() {
        return "dev.polystore:storage-sqlite";
    }

    @Override
    public StorageBackend open(ProviderContext context) {
        return open(context, UnaryOperator.identity());
    }

    /**
     * Opens a backend whose JDBC connections (the writer first, then the readers) are passed
     * through {@code connectionWrapper} as they are opened: the hook through which this module's
     * tests inject engine faults (see {@code JdbcFaults} in the test sources). Package-private on
     * purpose: configuration cannot reach it.
     */
    static StorageBackend open(ProviderContext context, UnaryOperator<Connection> connectionWrapper) {
        ConfigSection config = context.config();
        SqliteSettings settings = SqliteSettings.from(config);
        return SqliteBackend.open(settings, config, context.clock(), connectionWrapper);
    }
}
