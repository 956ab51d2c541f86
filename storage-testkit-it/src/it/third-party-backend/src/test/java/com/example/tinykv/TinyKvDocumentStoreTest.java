package com.example.tinykv;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.domain.DocumentStoreContract;
import java.nio.file.Path;

class TinyKvDocumentStoreTest extends DocumentStoreContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("tinykv").build();
    }
}
