package dev.polystore.testkit.broken;

import dev.polystore.Condition;
import dev.polystore.spi.ImportMode;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import dev.polystore.testkit.mirror.MirrorContract;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Mirrors with one realistic bug each; {@link KitCatchesBrokenMirrorTest} checks that
 * {@link MirrorContract} catches them. Not run by Surefire directly (no name ends in "Test").
 */
final class BrokenMirrors {
    private BrokenMirrors() {
    }

    /** Writes the primary, then the secondary; a failed secondary write is logged nowhere and forgotten. */
    static final class DropsSecondaryFailures extends ForwardingStorageBackend {
        private final StorageBackend secondary;

        DropsSecondaryFailures(StorageBackend primary, StorageBackend secondary) {
            super(primary);
            this.secondary = secondary;
        }

        @Override
        public CompletableFuture<Void> prepareTable(String table) {
            return delegate.prepareTable(table).thenCompose(v -> secondary.prepareTable(table));
        }

        @Override
        public CompletableFuture<Long> put(WriteOp.Put put) {
            return delegate.put(put).thenCompose(v -> secondary.importItems(put.table(),
                            List.of(new RawItem(put.key(), put.payload().clone(), v, put.expiresAt())), ImportMode.IF_NEWER)
                    .handle((o, x) -> v));
        }

        @Override
        public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
            return delegate.delete(delete).thenCompose(existed -> secondary.delete(
                    new WriteOp.Delete(delete.table(), delete.key(), Condition.none())).handle((o, x) -> existed));
        }

        @Override
        public void close() {
            delegate.close();
            secondary.close();
        }
    }

    /**
     * Write-behind: acknowledges a put at once with the version it expects (the primary's current
     * one + 1) and writes both sides in the background; a failure there is only logged.
     */
    static final class AcknowledgesBeforePrimary extends ForwardingStorageBackend {
        private final StorageBackend secondary;

        AcknowledgesBeforePrimary(StorageBackend primary, StorageBackend secondary) {
            super(primary);
            this.secondary = secondary;
        }

        @Override
        public CompletableFuture<Void> prepareTable(String table) {
            return delegate.prepareTable(table).thenCompose(v -> secondary.prepareTable(table));
        }

        @Override
        public CompletableFuture<Long> put(WriteOp.Put put) {
            long expected = delegate.get(put.table(), put.key()).join().map(RawItem::version).orElse(0L) + 1;
            delegate.put(put).thenCompose(v -> secondary.importItems(put.table(),
                    List.of(new RawItem(put.key(), put.payload().clone(), v, put.expiresAt())), ImportMode.IF_NEWER));
            return CompletableFuture.completedFuture(expected);
        }

        @Override
        public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
            delegate.delete(delete).thenCompose(existed -> secondary.delete(
                    new WriteOp.Delete(delete.table(), delete.key(), Condition.none())));
            return CompletableFuture.completedFuture(true);
        }

        @Override
        public void close() {
            delegate.close();
            secondary.close();
        }
    }

    static class DropsSecondaryFailuresRun extends MirrorContract {
        @Override
        protected StorageBackend mirror(StorageBackend primary, StorageBackend secondary, Path stateDir, Clock clock) {
            return new DropsSecondaryFailures(primary, secondary);
        }

        @Override
        protected void repair(StorageBackend mirror) {
            // Nothing recorded, nothing to repair.
        }
    }

    static class AcknowledgesBeforePrimaryRun extends MirrorContract {
        @Override
        protected StorageBackend mirror(StorageBackend primary, StorageBackend secondary, Path stateDir, Clock clock) {
            return new AcknowledgesBeforePrimary(primary, secondary);
        }

        @Override
        protected void repair(StorageBackend mirror) {
        }
    }
}
