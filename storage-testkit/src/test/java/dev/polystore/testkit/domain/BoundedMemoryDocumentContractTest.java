package dev.polystore.testkit.domain;

import dev.polystore.StorageConfig;
import java.nio.file.Path;

/**
 * The document contract on a bounded memory backend whose bound no test reaches: the use
 * bookkeeping must not change any result. Runs in its own Surefire execution (see the pom).
 */
class BoundedMemoryDocumentContractTest extends DocumentStoreContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("memory")
                .set("memory.max_items", 1_000_000)
                .set("memory.max_bytes", 1L << 32)
                .build();
    }

    /**
     * The unbounded run ({@link MemoryDocumentStoreTest}) searches the full corpus; here the use
     * bookkeeping is what is under test, and 250 documents exercise it as well at a fraction of
     * the build time.
     */
    @Override
    int corpusSize() {
        return 250;
    }
}
