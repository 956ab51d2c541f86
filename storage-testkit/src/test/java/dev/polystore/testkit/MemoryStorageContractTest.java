package dev.polystore.testkit;

import dev.polystore.StorageConfig;
import java.nio.file.Path;

/** The kit against the reference backend: this is how every backend plugs in. */
class MemoryStorageContractTest extends StorageContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("memory").build();
    }

    @Override
    protected boolean persistent() {
        return false;
    }
}
