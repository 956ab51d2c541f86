package dev.polystore.postgres;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.StorageContract;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole core contract on a database whose default collation is ICU {@code en-US} (where
 * text sorts {@code a < A < b}, punctuation first), with {@code prepare_threshold = 0} (no named
 * server-side statements, as behind PgBouncer in transaction mode), {@code run_on_caller = false}
 * (every operation on a worker thread, completed on a callback thread) and its own table prefix. The
 * kit's order and prefix suites must pass unchanged: keys are {@code bytea}, so no collation is
 * ever involved. Runs in a Surefire execution of its own (see the pom).
 */
class PostgresIcuContractTest extends StorageContract {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    static final String DATABASE = "polystore_icu";

    @Override
    protected StorageConfig config(Path tempDir) {
        Pg.ensure(POSTGRES.server(), DATABASE,
                "TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'");
        return Pg.config(POSTGRES.server(), DATABASE)
                .set("postgres.prepare_threshold", 0)
                .set("postgres.table_prefix", "icu_")
                .set("postgres.run_on_caller", false)
                .build();
    }
}
