package dev.polystore.mirror;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.StorageContract;
import java.nio.file.Path;

/** The whole contract kit against a mirror of memory (primary) to SQLite (secondary), opened by name. */
class MirrorStorageContractTest extends StorageContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return MirrorConfigs.memoryToSqlite(tempDir);
    }

    @Override
    protected boolean persistent() {
        return false;
    }
}
