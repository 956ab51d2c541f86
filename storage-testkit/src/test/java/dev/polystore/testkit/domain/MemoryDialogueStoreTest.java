package dev.polystore.testkit.domain;

import dev.polystore.StorageConfig;
import java.nio.file.Path;

/** The dialogue contract on the in-memory reference backend. */
class MemoryDialogueStoreTest extends DialogueStoreContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("memory").build();
    }
}
