package com.example.tinykv;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.StorageContract;
import java.nio.file.Path;

class TinyKvStorageContractTest extends StorageContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("tinykv").build();
    }

    /** An in-memory engine: its data does not survive close, so the durability test is skipped by name. */
    @Override
    protected boolean persistent() {
        return false;
    }
}
