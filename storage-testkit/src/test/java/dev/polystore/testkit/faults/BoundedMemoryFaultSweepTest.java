package dev.polystore.testkit.faults;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.MutableClock;
import java.nio.file.Path;

/**
 * The fault sweep on the bounded memory backend (LRU bookkeeping on, a bound no case reaches),
 * opened through the provider with the SPI-level injector: a failed or half-applied call must
 * leave the use order and the byte count consistent, so every invariant holds as on the
 * unbounded backend.
 */
class BoundedMemoryFaultSweepTest extends FaultSweepContract {
    @Override
    protected Subject open(Path dir, MutableClock clock) {
        return openThroughSpi(StorageConfig.builder().backend("memory")
                .set("memory.max_items", 100_000)
                .set("memory.max_bytes", 1L << 30)
                .build().withClock(clock));
    }

    @Override
    protected String backendLabel() {
        return "memory (bounded)";
    }
}
