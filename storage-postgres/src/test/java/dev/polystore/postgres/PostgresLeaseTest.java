package dev.polystore.postgres;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.coordination.LeaseContract;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The testkit's Lease contract against a real PostgreSQL; child JVMs connect to the same server. */
class PostgresLeaseTest extends LeaseContract {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return Pg.config(POSTGRES.server()).build();
    }
}
