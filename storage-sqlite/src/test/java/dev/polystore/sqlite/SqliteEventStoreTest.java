package dev.polystore.sqlite;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.coordination.EventStoreContract;
import java.nio.file.Path;

/** The testkit's EventStore contract against SQLite on a temporary file (child JVMs open the same file). */
class SqliteEventStoreTest extends EventStoreContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder()
                .backend("sqlite")
                .set("sqlite.path", tempDir.resolve("t.db").toString())
                .build();
    }
}
