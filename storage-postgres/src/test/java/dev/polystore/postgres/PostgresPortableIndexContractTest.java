package dev.polystore.postgres;

import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.StorageBackend;
import dev.polystore.testkit.index.IndexContract;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The index contract on PostgreSQL with the native entries hidden by a layer: the portable entries
 * (items of the store), the reference the native ones are compared against.
 */
class PostgresPortableIndexContractTest extends IndexContract {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    private static StorageBackend portable(StorageBackend b) {
        return new ForwardingStorageBackend(b) {
        };
    }

    @Override
    protected StorageConfig config(Path tempDir) {
        return Pg.config(POSTGRES.server()).build();
    }

    @Override
    protected Storage open(StorageConfig config) throws Exception {
        return StoreFactory.open(config, PostgresPortableIndexContractTest::portable);
    }

    @Override
    protected Storage openAlso(UnaryOperator<StorageBackend> wrap) throws Exception {
        return closeAfterTest(StoreFactory.open(config(tempDir).withClock(clock), b -> wrap.apply(portable(b))));
    }
}
