package dev.polystore.postgres;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.StorageContract;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The whole contract kit against a real PostgreSQL (embedded, started by the test run), opened through {@code StoreFactory}. */
class PostgresStorageContractTest extends StorageContract {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return Pg.config(POSTGRES.server()).build();
    }
}
