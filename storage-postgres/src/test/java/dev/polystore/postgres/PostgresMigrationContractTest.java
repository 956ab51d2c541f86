package dev.polystore.postgres;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.migration.MigrationContract;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The scan half of the migration contract on a real PostgreSQL (the backend declares
 * {@code SCAN}, not {@code IMPORT}: the import group is skipped with its capability's name).
 */
class PostgresMigrationContractTest extends MigrationContract {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return Pg.config(POSTGRES.server()).build();
    }
}
