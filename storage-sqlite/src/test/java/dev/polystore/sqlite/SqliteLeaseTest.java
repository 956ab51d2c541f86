package dev.polystore.sqlite;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.coordination.LeaseContract;
import java.nio.file.Path;

/** The testkit's Lease contract against SQLite on a temporary file (child JVMs open the same file). */
class SqliteLeaseTest extends LeaseContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder()
                .backend("sqlite")
                .set("sqlite.path", tempDir.resolve("t.db").toString())
                .build();
    }
}
