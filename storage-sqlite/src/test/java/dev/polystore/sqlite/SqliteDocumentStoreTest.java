package dev.polystore.sqlite;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.domain.DocumentStoreContract;
import java.nio.file.Path;

/** The testkit's document store contract against SQLite on a temporary file. */
class SqliteDocumentStoreTest extends DocumentStoreContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder()
                .backend("sqlite")
                .set("sqlite.path", tempDir.resolve("t.db").toString())
                .build();
    }
}
