package dev.polystore.testkit.broken;

import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.internal.Cursors;
import dev.polystore.internal.DefaultStorage;
import dev.polystore.memory.MemoryBackend;
import dev.polystore.testkit.StorageContract;
import java.nio.file.Path;

/**
 * The contract suite pointed at each broken backend. Not run by Surefire directly (the names do
 * not end in "Test"); {@link KitCatchesBrokenBackendsTest} runs them and checks they fail.
 */
final class BrokenRuns {
    private BrokenRuns() {
    }

    abstract static class Base extends StorageContract {
        abstract String backend();

        @Override
        protected StorageConfig config(Path tempDir) {
            return StorageConfig.builder().backend(backend()).build();
        }

        @Override
        protected boolean persistent() {
            return false;
        }
    }

    static class IgnoresConditionsRun extends Base {
        @Override
        String backend() {
            return "brokenconditions";
        }
    }

    static class JavaStringOrderRun extends Base {
        @Override
        String backend() {
            return "brokenorder";
        }
    }

    static class LikePrefixRun extends Base {
        @Override
        String backend() {
            return "brokenprefix";
        }
    }

    static class ClosesEarlyRun extends Base {
        @Override
        String backend() {
            return "brokenclose";
        }
    }

    static class HotKeyGivesUpRun extends Base {
        @Override
        String backend() {
            return "brokenhotkey";
        }
    }

    static class LeaksExpiredRun extends Base {
        @Override
        String backend() {
            return "brokenexpiry";
        }
    }

    static class NonAtomicDeleteRun extends Base {
        @Override
        String backend() {
            return "brokendelete";
        }
    }

    static class UnlockedPutRun extends Base {
        @Override
        String backend() {
            return "brokenputlock";
        }
    }

    static class NoResumePositionRun extends Base {
        @Override
        String backend() {
            return "brokennoresume";
        }
    }

    /** The memory backend with the durability test left on, as an author who forgot persistent() would. */
    static class ForgotPersistentRun extends StorageContract {
        @Override
        protected StorageConfig config(Path tempDir) {
            return StorageConfig.builder().backend("memory").build();
        }
    }

    /** The memory backend under an API layer whose cursors carry the sort key in clear, unchecked. */
    static class PlainTextCursorsRun extends Base {
        @Override
        String backend() {
            return "memory";
        }

        @Override
        protected Storage open(StorageConfig config) {
            return new DefaultStorage("memory", new MemoryBackend(config.clock()), config.clock(),
                    new BrokenBackends.PlainTextCursors(true));
        }
    }

    /** As {@link PlainTextCursorsRun}, and the cursor's query is not checked either. */
    static class UnboundCursorsRun extends Base {
        @Override
        String backend() {
            return "memory";
        }

        @Override
        protected Storage open(StorageConfig config) {
            return new DefaultStorage("memory", new MemoryBackend(config.clock()), config.clock(),
                    new BrokenBackends.PlainTextCursors(false));
        }
    }

    /**
     * Sealed cursors under a random secret drawn per storage, as a service would get from a key
     * made at start-up: sound within one instance, but no cursor survives a restart or moves to
     * another instance or backend.
     */
    static class PerInstanceSecretRun extends Base {
        @Override
        String backend() {
            return "memory";
        }

        @Override
        protected Storage open(StorageConfig config) {
            return new DefaultStorage("memory", new MemoryBackend(config.clock()), config.clock(),
                    Cursors.withSecret(java.util.UUID.randomUUID() + "-" + java.util.UUID.randomUUID()));
        }
    }

    /**
     * A storage whose transactions are reusable builders: every {@code commit()} sends the
     * operations again as a new transaction, so a second commit writes twice or reports a
     * storage error instead of the misuse.
     */
    static class ReusableTransactionsRun extends Base {
        @Override
        String backend() {
            return "memory";
        }

        @Override
        protected Storage open(StorageConfig config) throws Exception {
            Storage real = super.open(config);
            return (Storage) java.lang.reflect.Proxy.newProxyInstance(Storage.class.getClassLoader(),
                    new Class<?>[] {Storage.class}, (proxy, method, args) -> {
                        if (method.getName().equals("transaction")) {
                            return new ReusableTransaction(real);
                        }
                        try {
                            return method.invoke(real, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }
    }

    /** Records the operations and builds a fresh transaction from them at every commit. */
    static final class ReusableTransaction implements dev.polystore.Transaction {
        private final Storage storage;
        private final java.util.List<java.util.function.UnaryOperator<dev.polystore.Transaction>> ops = new java.util.ArrayList<>();

        ReusableTransaction(Storage storage) {
            this.storage = storage;
        }

        @Override
        public <T> dev.polystore.Transaction put(dev.polystore.Store<T> store, dev.polystore.Item<T> item,
                                                 dev.polystore.Condition condition) {
            ops.add(tx -> tx.put(store, item, condition));
            return this;
        }

        @Override
        public dev.polystore.Transaction delete(dev.polystore.Store<?> store, dev.polystore.Key key,
                                                dev.polystore.Condition condition) {
            ops.add(tx -> tx.delete(store, key, condition));
            return this;
        }

        @Override
        public dev.polystore.Transaction check(dev.polystore.Store<?> store, dev.polystore.Key key,
                                               dev.polystore.Condition condition) {
            ops.add(tx -> tx.check(store, key, condition));
            return this;
        }

        @Override
        public int size() {
            return ops.size();
        }

        @Override
        public java.util.concurrent.CompletableFuture<java.util.List<Long>> commit() {
            dev.polystore.Transaction tx = storage.transaction();
            for (var op : ops) {
                tx = op.apply(tx);
            }
            return tx.commit();
        }
    }
}
