package dev.polystore.testkit.index;

import dev.polystore.StorageConfig;
import java.nio.file.Path;

/** The native index hook's contract on the plain memory backend, which has none: its tests are skipped, naming NATIVE_INDEXES. */
class MemoryBareNativeIndexContractTest extends NativeIndexContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("memory").build();
    }
}
