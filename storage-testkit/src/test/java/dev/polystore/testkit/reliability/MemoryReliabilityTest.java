package dev.polystore.testkit.reliability;

import dev.polystore.StorageConfig;
import java.nio.file.Path;

/** The reliability suite on the reference backend: this is how every backend plugs in. */
class MemoryReliabilityTest extends ReliabilityContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("memory").build();
    }
}
