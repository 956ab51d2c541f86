package com.example.tinykv;

import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;

/** Provider {@code tinykv}: a fresh, empty engine per open; it has no settings. */
public final class TinyKvStorageProvider implements StorageProvider {
    @Override
    public String name() {
        return "tinykv";
    }

    @Override
    public String artifact() {
        return "com.example:tinykv-polystore";
    }

    @Override
    public StorageBackend open(ProviderContext context) {
        context.config().rejectUnknownKeys();
        return new TinyKvBackend();
    }
}
