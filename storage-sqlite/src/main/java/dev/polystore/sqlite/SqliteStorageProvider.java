package dev.polystore.sqlite;

import dev.polystore.spi.ConfigSection;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;

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
        ConfigSection config = context.config();
        SqliteSettings settings = SqliteSettings.from(config);
        return SqliteBackend.open(settings, config, context.clock());
    }
}
