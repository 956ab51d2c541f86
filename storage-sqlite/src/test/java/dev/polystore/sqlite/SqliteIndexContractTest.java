package dev.polystore.sqlite;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.index.IndexContract;
import java.nio.file.Path;

/** The index contract against SQLite on a temporary file. */
class SqliteIndexContractTest extends IndexContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder()
                .backend("sqlite")
                .set("sqlite.path", tempDir.resolve("t.db").toString())
                .build();
    }
}
