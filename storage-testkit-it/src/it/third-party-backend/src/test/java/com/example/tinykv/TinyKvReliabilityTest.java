package com.example.tinykv;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.reliability.ReliabilityContract;
import java.nio.file.Path;

class TinyKvReliabilityTest extends ReliabilityContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("tinykv").build();
    }
}
