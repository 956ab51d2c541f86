package dev.polystore.sqlite;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.migration.MigrationContract;
import java.nio.file.Path;

/** The scan and import contract against SQLite on a temporary file. */
class SqliteMigrationContractTest extends MigrationContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder()
                .backend("sqlite")
                .set("sqlite.path", tempDir.resolve("t.db").toString())
                .build();
    }
}
