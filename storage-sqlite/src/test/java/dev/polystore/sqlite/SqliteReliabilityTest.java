package dev.polystore.sqlite;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.reliability.ReliabilityContract;
import java.nio.file.Path;

/** The testkit's reliability suite against SQLite on a temporary file. */
class SqliteReliabilityTest extends ReliabilityContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder()
                .backend("sqlite")
                .set("sqlite.path", tempDir.resolve("t.db").toString())
                .build();
    }
}
