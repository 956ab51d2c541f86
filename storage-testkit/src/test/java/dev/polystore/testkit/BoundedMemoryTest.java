package dev.polystore.testkit;

import dev.polystore.StorageConfig;
import java.nio.file.Path;

/** The bounded-mode contract on the memory backend with {@code max_items = 4}. */
class BoundedMemoryTest extends LruBoundContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("memory").set("memory.max_items", maxItems()).build();
    }
}
