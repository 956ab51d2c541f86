package dev.polystore.encryption;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.layers.EveryContract;
import java.nio.file.Path;

/** Every contract family through the encryption layer (chosen in the configuration) on SQLite. */
class EncryptedSqliteKitTest extends EveryContract {
    @Override
    protected StorageConfig config(Path tempDir) throws Exception {
        return TestKeys.encrypted(StorageConfig.builder().backend("sqlite")
                .set("sqlite.path", tempDir.resolve("t.db").toString())).build();
    }

    @Override
    protected int layerOverheadBytes() {
        return TestKeys.OVERHEAD;
    }
}
