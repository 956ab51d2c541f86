package dev.polystore.postgres;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.index.NativeIndexContract;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The native index hook's contract on PostgreSQL: not implemented there yet (the portable entries
 * are already read through the primary key), so NATIVE_INDEXES is undeclared and its tests are
 * skipped, naming it.
 */
class PostgresNativeIndexContractTest extends NativeIndexContract {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return Pg.config(POSTGRES.server()).build();
    }
}
