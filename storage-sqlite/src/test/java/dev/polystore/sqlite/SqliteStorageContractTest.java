package dev.polystore.sqlite;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.StorageContract;
import java.nio.file.Path;

/** The whole contract kit against SQLite on a temporary file. */
class SqliteStorageContractTest extends StorageContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder()
                .backend("sqlite")
                .set("sqlite.path", tempDir.resolve("t.db").toString())
                .build();
    }
}
