package dev.polystore.postgres;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.domain.DocumentStoreContract;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The testkit's document store contract against a real PostgreSQL (the portable term index: this backend has no NATIVE_SEARCH). */
class PostgresDocumentStoreTest extends DocumentStoreContract {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return Pg.config(POSTGRES.server()).build();
    }
}
