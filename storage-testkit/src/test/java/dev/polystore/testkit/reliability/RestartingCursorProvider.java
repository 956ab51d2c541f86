package dev.polystore.testkit.reliability;

import dev.polystore.Capabilities;
import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;
import dev.polystore.spi.WriteOp;
import dev.polystore.testkit.memory.MemoryBackend;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Test provider {@code brokenresume}: a backend that resumes a query by looking up the cursor's
 * key and, when that item has been deleted meanwhile, starts the query over (as an
 * "index of the last key, else 0" pager would). Sequential paging looks right; a reader paging
 * while writers delete sees keys twice. Test 5 must catch it.
 */
public final class RestartingCursorProvider implements StorageProvider {
    @Override
    public String name() {
        return "brokenresume";
    }

    @Override
    public StorageBackend open(ProviderContext context) {
        context.config().rejectUnknownKeys();
        return new Backend(new MemoryBackend(context.clock()));
    }

    private static final class Backend implements StorageBackend {
        private final MemoryBackend delegate;

        Backend(MemoryBackend delegate) {
            this.delegate = delegate;
        }

        @Override
        public CompletableFuture<RawPage> query(QuerySpec q) {
            if (q.exclusiveStartSk() == null) {
                return delegate.query(q);
            }
            return delegate.get(q.table(), Key.of(q.pk(), q.exclusiveStartSk())).thenCompose(found -> delegate.query(
                    found.isPresent() ? q : new QuerySpec(q.table(), q.pk(), q.range(), q.limit(), q.direction(), null)));
        }

        @Override
        public Capabilities capabilities() {
            return delegate.capabilities();
        }

        @Override
        public CompletableFuture<Void> prepareTable(String table) {
            return delegate.prepareTable(table);
        }

        @Override
        public CompletableFuture<Optional<RawItem>> get(String table, Key key) {
            return delegate.get(table, key);
        }

        @Override
        public CompletableFuture<Long> put(WriteOp.Put put) {
            return delegate.put(put);
        }

        @Override
        public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
            return delegate.delete(delete);
        }

        @Override
        public CompletableFuture<List<RawItem>> batchGet(String table, List<Key> keys) {
            return delegate.batchGet(table, keys);
        }

        @Override
        public CompletableFuture<Void> batchWrite(String table, List<WriteOp> writes) {
            return delegate.batchWrite(table, writes);
        }

        @Override
        public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
            return delegate.transact(operations);
        }

        @Override
        public CompletableFuture<Health> health() {
            return delegate.health();
        }

        @Override
        public String name() {
            return "brokenresume";
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
