package dev.polystore.testkit.index;

import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.internal.DefaultStorage;
import dev.polystore.memory.MemoryBackend;
import dev.polystore.spi.StorageBackend;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * The native index contracts on {@link MemoryAccelerated} (one engine per test, shared by the
 * storage under test, {@code openAlso} and {@code reopen}): the correct accelerator passes
 * {@link NativeIndexContract} and {@link IndexContract} (which then run on native entries); the
 * broken one is caught ({@link NativeIndexKitCatchesBrokenAcceleratorTest}).
 */
final class MemoryNativeIndexTests {
    private MemoryNativeIndexTests() {
    }

    static class NativeContract extends NativeIndexContract {
        private MemoryAccelerated engine;

        boolean forgetDeletes() {
            return false;
        }

        @Override
        protected StorageConfig config(Path tempDir) {
            return StorageConfig.builder().backend("memory").build();
        }

        @Override
        protected int historyLength() {
            return 150;
        }

        @Override
        protected Storage open(StorageConfig config) {
            if (engine == null) {
                engine = new MemoryAccelerated(new MemoryBackend(config.clock()), config.clock(), forgetDeletes());
            }
            return new DefaultStorage("memory", engine, config.clock());
        }

        @Override
        protected Storage openAlso(UnaryOperator<StorageBackend> wrap) {
            return closeAfterTest(new DefaultStorage("memory", wrap.apply(engine), clock));
        }
    }

    /** Forgets entry deletes: an item that moves or is deleted stays under its old keys. */
    static class ForgetsDeletes extends NativeContract {
        @Override
        boolean forgetDeletes() {
            return true;
        }
    }

    static class IndexContractNatively extends IndexContract {
        private MemoryAccelerated engine;

        boolean forgetDeletes() {
            return false;
        }

        @Override
        protected StorageConfig config(Path tempDir) {
            return StorageConfig.builder().backend("memory").build();
        }

        @Override
        protected Storage open(StorageConfig config) {
            if (engine == null) {
                engine = new MemoryAccelerated(new MemoryBackend(config.clock()), config.clock(), forgetDeletes());
            }
            return new DefaultStorage("memory", engine, config.clock());
        }

        @Override
        protected Storage openAlso(UnaryOperator<StorageBackend> wrap) {
            return closeAfterTest(new DefaultStorage("memory", wrap.apply(engine), clock));
        }
    }

    /** IndexContract on an accelerator that writes a unique entry over another item's. */
    static class IndexContractIgnoresHolders extends IndexContract {
        private MemoryAccelerated engine;

        @Override
        protected StorageConfig config(Path tempDir) {
            return StorageConfig.builder().backend("memory").build();
        }

        @Override
        protected Storage open(StorageConfig config) {
            if (engine == null) {
                engine = new MemoryAccelerated(new MemoryBackend(config.clock()), config.clock(), false, true);
            }
            return new DefaultStorage("memory", engine, config.clock());
        }

        @Override
        protected Storage openAlso(UnaryOperator<StorageBackend> wrap) {
            return closeAfterTest(new DefaultStorage("memory", wrap.apply(engine), clock));
        }
    }

    /** IndexContract on an accelerator that forgets entry deletes. */
    static class IndexContractForgetsDeletes extends IndexContractNatively {
        @Override
        boolean forgetDeletes() {
            return true;
        }
    }
}
