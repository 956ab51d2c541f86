package dev.polystore.postgres;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.StorageContract;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole core contract on a {@code LATIN1} database, which cannot store most of the kit's
 * keys as text (emoji, U+FFFF, supplementary characters): keys are {@code bytea}, so every key
 * and the UTF-8 byte order survive whatever the database encoding, in a schema of its own.
 * Runs in a Surefire execution of its own (see the pom).
 */
class PostgresLatin1ContractTest extends StorageContract {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    static final String DATABASE = "polystore_latin1";

    @Override
    protected StorageConfig config(Path tempDir) {
        Pg.ensure(POSTGRES.server(), DATABASE, "TEMPLATE template0 ENCODING 'LATIN1' LOCALE 'C'");
        return Pg.config(POSTGRES.server(), DATABASE)
                .set("postgres.schema", "app")
                .build();
    }
}
