package com.example.tinykv;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.domain.DialogueStoreContract;
import java.nio.file.Path;

class TinyKvDialogueStoreTest extends DialogueStoreContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("tinykv").build();
    }
}
