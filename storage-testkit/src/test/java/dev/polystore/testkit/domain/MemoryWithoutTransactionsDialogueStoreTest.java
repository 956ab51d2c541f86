package dev.polystore.testkit.domain;

import dev.polystore.Capability;
import dev.polystore.StorageConfig;
import dev.polystore.internal.DefaultStorage;
import dev.polystore.testkit.memory.MemoryBackend;
import java.nio.file.Path;
import java.util.EnumSet;
import org.junit.jupiter.api.BeforeEach;

/**
 * The dialogue contract on a memory backend that declares no TRANSACTIONS: every positive test
 * must skip naming the capability, and the negative test must see UnsupportedCapabilityException.
 */
class MemoryWithoutTransactionsDialogueStoreTest extends DialogueStoreContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("memory").build();
    }

    /** Runs after the kit opened its storage: swaps in one without TRANSACTIONS. */
    @BeforeEach
    void withoutTransactions() {
        storage.close();
        storage = new DefaultStorage("memory", new MemoryBackend(clock, EnumSet.of(Capability.BATCH, Capability.EXPIRY)),
                clock);
    }
}
