package dev.polystore.testkit;

import dev.polystore.StorageConfig;
import java.nio.file.Path;

/**
 * The kit against a backend that declares no optional capability: the negative tests
 * (unsupported capability fails cleanly) run here, the positive ones are skipped by name.
 */
class BareMemoryStorageContractTest extends StorageContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("barememory").build();
    }

    @Override
    protected boolean persistent() {
        return false;
    }
}
