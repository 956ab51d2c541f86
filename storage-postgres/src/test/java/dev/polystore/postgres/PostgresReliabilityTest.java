package dev.polystore.postgres;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.reliability.ReliabilityContract;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The testkit's reliability suite against a real PostgreSQL. */
class PostgresReliabilityTest extends ReliabilityContract {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return Pg.config(POSTGRES.server()).build();
    }
}
