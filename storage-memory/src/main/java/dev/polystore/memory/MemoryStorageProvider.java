package dev.polystore.memory;

import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;

/**
 * Provider {@code memory}: a fresh, empty {@link MemoryBackend} for every open. It has no
 * settings; any key under {@code [storage.memory]} is rejected.
 */
public final class MemoryStorageProvider implements StorageProvider {
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
        context.config().rejectUnknownKeys();
        return new MemoryBackend(context.clock());
    }
}
