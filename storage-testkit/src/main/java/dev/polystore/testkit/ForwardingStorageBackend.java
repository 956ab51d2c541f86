package dev.polystore.testkit;

import dev.polystore.Capabilities;
import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.SearchIndex;
import dev.polystore.spi.WriteOp;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A backend that forwards every call to another. Subclass it to change one behaviour: inject
 * faults, delays or bugs in tests (the kit's self-tests build their deliberately broken
 * backends this way), count calls, or decorate a real engine.
 */
public abstract class ForwardingStorageBackend implements StorageBackend {
    /** The backend every call goes to. */
    protected final StorageBackend delegate;

    protected ForwardingStorageBackend(StorageBackend delegate) {
        this.delegate = delegate;
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
    public CompletableFuture<RawPage> query(QuerySpec query) {
        return delegate.query(query);
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
    public Optional<SearchIndex> searchIndex() {
        return delegate.searchIndex();
    }

    @Override
    public CompletableFuture<Health> health() {
        return delegate.health();
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
