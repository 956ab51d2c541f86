package dev.polystore.testkit.reliability;

import dev.polystore.StorageConfig;
import java.nio.file.Path;

/**
 * The reliability suite on a bounded memory backend whose bound the suite never reaches,
 * compared against the unbounded model as every backend is.
 */
class BoundedMemoryReliabilityTest extends ReliabilityContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("memory").set("memory.max_items", 1_000_000).build();
    }
}
