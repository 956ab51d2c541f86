package dev.polystore.testkit.reliability;

import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.memory.MemoryBackend;

/** A memory backend under another provider name; the broken test backends here override the one thing they get wrong. */
abstract class ForwardingMemory extends ForwardingStorageBackend {
    private final String name;

    ForwardingMemory(MemoryBackend delegate, String name) {
        super(delegate);
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }
}
