package dev.polystore.encryption;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.layers.EveryContract;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every contract family through the encryption layer on a real PostgreSQL (embedded, started by the test run). */
class EncryptedPostgresKitTest extends EveryContract {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();
    private static final String DATABASE = "encrypted";

    @Override
    protected StorageConfig config(Path tempDir) throws Exception {
        var server = POSTGRES.server();
        try {
            server.createDatabase(DATABASE, "");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("could not create test database " + DATABASE, e);
        }
        StorageConfig.Builder b = StorageConfig.builder()
                .backend("postgres")
                .set("postgres.url", server.jdbcUrl(DATABASE))
                .set("postgres.user", server.user())
                .set("postgres.create_tables", true)
                .set("postgres.pool_size", 8)
                .set("postgres.pool_min_idle", 1);
        if (!server.password().isEmpty()) {
            b.set("postgres.password", server.password());
        }
        return TestKeys.encrypted(b).build();
    }

    @Override
    protected int layerOverheadBytes() {
        return TestKeys.OVERHEAD;
    }
}
