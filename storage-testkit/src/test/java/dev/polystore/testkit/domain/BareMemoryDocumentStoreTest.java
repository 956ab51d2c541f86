package dev.polystore.testkit.domain;

import dev.polystore.StorageConfig;
import java.nio.file.Path;

/**
 * The document contract on the memory backend without TRANSACTIONS (provider {@code barememory}):
 * the positive tests must skip naming the capability; the negative test must see
 * UnsupportedCapabilityException.
 */
class BareMemoryDocumentStoreTest extends DocumentStoreContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("barememory").build();
    }
}
