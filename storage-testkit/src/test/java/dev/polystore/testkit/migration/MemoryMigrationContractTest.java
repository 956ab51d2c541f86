package dev.polystore.testkit.migration;

import dev.polystore.StorageConfig;
import java.nio.file.Path;

/** The scan and import contract against the reference backend. */
class MemoryMigrationContractTest extends MigrationContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("memory").build();
    }
}
