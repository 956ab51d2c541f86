package dev.polystore.sqlite;

import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.StorageBackend;
import dev.polystore.testkit.index.IndexContract;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * The index contract on SQLite with the native entries hidden by a layer: the portable entries
 * (items of the store), which stay the reference the native ones are compared against.
 */
class SqlitePortableIndexContractTest extends IndexContract {
    private static StorageBackend portable(StorageBackend b) {
        return new ForwardingStorageBackend(b) {
        };
    }

    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder()
                .backend("sqlite")
                .set("sqlite.path", tempDir.resolve("t.db").toString())
                .build();
    }

    @Override
    protected Storage open(StorageConfig config) throws Exception {
        return StoreFactory.open(config, SqlitePortableIndexContractTest::portable);
    }

    @Override
    protected Storage openAlso(UnaryOperator<StorageBackend> wrap) throws Exception {
        return closeAfterTest(StoreFactory.open(config(tempDir).withClock(clock), b -> wrap.apply(portable(b))));
    }
}
