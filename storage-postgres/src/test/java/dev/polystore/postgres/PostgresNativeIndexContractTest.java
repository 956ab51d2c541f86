package dev.polystore.postgres;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.index.NativeIndexContract;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The native index hook on PostgreSQL: an entry table of bytea keys with its primary key, joined back to the items. */
class PostgresNativeIndexContractTest extends NativeIndexContract {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return Pg.config(POSTGRES.server()).build();
    }
}
