package dev.polystore.testkit.index;

import dev.polystore.StorageConfig;
import java.nio.file.Path;

/** The index contract on the reference backend. */
class MemoryIndexContractTest extends IndexContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("memory").build();
    }
}
