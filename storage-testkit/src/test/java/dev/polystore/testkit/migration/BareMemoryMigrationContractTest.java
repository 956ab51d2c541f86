package dev.polystore.testkit.migration;

import dev.polystore.StorageConfig;
import java.nio.file.Path;

/** Without SCAN and IMPORT: the negative tests run (UnsupportedCapabilityException), the rest are skipped by name. */
class BareMemoryMigrationContractTest extends MigrationContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("barememory").build();
    }
}
