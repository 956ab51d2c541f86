package dev.polystore.sqlite;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.domain.DialogueStoreContract;
import java.nio.file.Path;

/** The testkit's dialogue store contract against SQLite on a temporary file. */
class SqliteDialogueStoreTest extends DialogueStoreContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder()
                .backend("sqlite")
                .set("sqlite.path", tempDir.resolve("t.db").toString())
                .build();
    }
}
