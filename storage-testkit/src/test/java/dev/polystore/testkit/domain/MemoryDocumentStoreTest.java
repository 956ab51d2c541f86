package dev.polystore.testkit.domain;

import dev.polystore.StorageConfig;
import java.nio.file.Path;

/** The document contract on the in-memory reference backend. */
class MemoryDocumentStoreTest extends DocumentStoreContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("memory").build();
    }
}
