package dev.polystore.postgres;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.domain.DialogueStoreContract;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The testkit's dialogue store contract against a real PostgreSQL. */
class PostgresDialogueStoreTest extends DialogueStoreContract {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return Pg.config(POSTGRES.server()).build();
    }
}
