package dev.polystore.testkit.reliability;

import dev.polystore.StorageConfig;
import java.nio.file.Path;

/**
 * The reliability suite on a backend without optional capabilities: histories leave out batch,
 * transaction and expiry operations (and say so in their figures), and the bad input corpus
 * checks the "unsupported capability" kind instead. Runs in the testkit's second Surefire
 * execution, with the other capability-less suites.
 */
class BareMemoryReliabilityTest extends ReliabilityContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder().backend("barememory").build();
    }
}
