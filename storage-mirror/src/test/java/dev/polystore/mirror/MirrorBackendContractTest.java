package dev.polystore.mirror;

import dev.polystore.spi.StorageBackend;
import dev.polystore.testkit.mirror.MirrorContract;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The kit's mirror contract against {@link MirrorBackend} (timer off: the kit triggers repairs). */
class MirrorBackendContractTest extends MirrorContract {
    @Override
    protected StorageBackend mirror(StorageBackend primary, StorageBackend secondary, Path stateDir, Clock clock) {
        return MirrorBackend.open(primary, secondary, stateDir.resolve("repair.log"), Duration.ZERO, clock);
    }

    @Override
    protected void repair(StorageBackend mirror) throws Exception {
        int left = ((MirrorBackend) mirror).repair().get(60, TimeUnit.SECONDS);
        if (left != 0) {
            throw new AssertionError(left + " key(s) still waiting for repair although both sides are up");
        }
    }
}
