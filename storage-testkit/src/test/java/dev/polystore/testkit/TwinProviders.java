package dev.polystore.testkit;

import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;
import dev.polystore.memory.MemoryBackend;

/** Two test providers sharing the name {@code twin}, to check that the clash is reported. */
public final class TwinProviders {
    private TwinProviders() {
    }

    public static final class First implements StorageProvider {
        @Override
        public String name() {
            return "twin";
        }

        @Override
        public StorageBackend open(ProviderContext context) {
            return new MemoryBackend(context.clock());
        }
    }

    public static final class Second implements StorageProvider {
        @Override
        public String name() {
            return "twin";
        }

        @Override
        public StorageBackend open(ProviderContext context) {
            return new MemoryBackend(context.clock());
        }
    }
}
