package dev.polystore.testkit.broken;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.LruBoundContract;
import java.nio.file.Path;

/** The bounded-mode contract on broken bounds; run only through {@link LruCatchesBrokenBoundTest}. */
final class BrokenBoundRuns {
    private BrokenBoundRuns() {
    }

    static class FifoRun extends LruBoundContract {
        @Override
        protected StorageConfig config(Path tempDir) {
            return StorageConfig.builder().backend("brokenfifo").build();
        }
    }
}
