package dev.polystore.testkit.coordination;

import dev.polystore.StorageConfig;
import java.nio.file.Path;

/**
 * The EventStore contract on the memory backend without optional capabilities (provider
 * {@code barememory}): tests needing TRANSACTIONS skip naming it, the negative tests run.
 */
class BareMemoryEventStoreTest extends EventStoreContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("barememory").build();
    }

    @Override
    protected boolean sharedAcrossProcesses() {
        return false;
    }
}
