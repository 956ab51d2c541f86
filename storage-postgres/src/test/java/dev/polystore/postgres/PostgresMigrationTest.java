package dev.polystore.postgres;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.migration.MigrationContract;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The scan and import contract against a real PostgreSQL (embedded): key-range segments, INSERT … ON CONFLICT imports. */
class PostgresMigrationTest extends MigrationContract {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return Pg.config(POSTGRES.server()).build();
    }
}
