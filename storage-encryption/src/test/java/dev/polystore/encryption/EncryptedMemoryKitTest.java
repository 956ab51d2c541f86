package dev.polystore.encryption;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.layers.EveryContract;
import java.nio.file.Path;

/** Every contract family through the encryption layer (chosen in the configuration) on the memory backend. */
class EncryptedMemoryKitTest extends EveryContract {
    @Override
    protected StorageConfig config(Path tempDir) throws Exception {
        return TestKeys.encrypted(StorageConfig.builder().backend("memory")).build();
    }

    @Override
    protected boolean persistent() {
        return false;
    }

    @Override
    protected boolean sharedAcrossProcesses() {
        return false;
    }

    @Override
    protected int layerOverheadBytes() {
        return TestKeys.OVERHEAD;
    }
}
