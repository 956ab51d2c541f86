package dev.polystore.mirror;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.migration.MigrationContract;
import java.nio.file.Path;

/** The scan and import contract against a mirror of memory to SQLite: scans read the primary, imports reach both. */
class MirrorMigrationContractTest extends MigrationContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return MirrorConfigs.memoryToSqlite(tempDir);
    }
}
