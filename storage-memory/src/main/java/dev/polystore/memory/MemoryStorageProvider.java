package dev.polystore.memory;

import dev.polystore.ConfigurationException;
import dev.polystore.Limits;
import dev.polystore.spi.ConfigSection;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;

/**
 * Provider {@code memory}: a fresh, empty {@link MemoryBackend} for every open. Keys under
 * {@code [storage.memory]} (see docs/memory.md):
 * <ul>
 *   <li>{@code max_items}: most items kept across all stores, least recently used evicted first;
 *       0 (the default) for no limit;</li>
 *   <li>{@code max_bytes}: most encoded bytes kept ({@link Limits#itemSize} per item); 0 (the
 *       default) for no limit, otherwise at least {@value Limits#MAX_ITEM_BYTES}.</li>
 * </ul>
 * Any other key is rejected.
 */
public final class MemoryStorageProvider implements StorageProvider {
    /** Config key: most items kept (0 = no limit). */
    public static final String MAX_ITEMS = "max_items";
    /** Config key: most encoded bytes kept (0 = no limit). */
    public static final String MAX_BYTES = "max_bytes";

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public String artifact() {
        return "dev.polystore:storage-memory";
    }

    @Override
    public StorageBackend open(ProviderContext context) {
        ConfigSection config = context.config();
        long maxItems = config.longValue(MAX_ITEMS, 0, 0, Long.MAX_VALUE);
        long maxBytes = config.longValue(MAX_BYTES, 0, 0, Long.MAX_VALUE);
        if (maxBytes > 0 && maxBytes < Limits.MAX_ITEM_BYTES) {
            throw new ConfigurationException(config.fullKey(MAX_BYTES) + " = " + maxBytes
                    + ": expected 0 (no limit) or at least " + Limits.MAX_ITEM_BYTES
                    + " (one item of the maximum size must fit)");
        }
        config.rejectUnknownKeys();
        return new MemoryBackend(context.clock(), new MemoryBackend.Bound(maxItems, maxBytes));
    }
}
