package dev.polystore.testkit;

import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;
import dev.polystore.memory.MemoryBackend;
import java.util.EnumSet;
import dev.polystore.Capability;

/** Test provider {@code barememory}: the memory backend without any optional capability. */
public final class BareMemoryProvider implements StorageProvider {
    @Override
    public String name() {
        return "barememory";
    }

    @Override
    public StorageBackend open(ProviderContext context) {
        context.config().rejectUnknownKeys();
        return new MemoryBackend(context.clock(), EnumSet.noneOf(Capability.class));
    }
}
