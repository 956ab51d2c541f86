package dev.polystore.testkit.coordination;

import dev.polystore.StorageConfig;
import java.nio.file.Path;

/** The EventStore contract on the in-memory reference backend (with CHANGE_NOTIFICATIONS). */
class MemoryEventStoreTest extends EventStoreContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("memory").build();
    }

    @Override
    protected boolean sharedAcrossProcesses() {
        return false;
    }
}
