package dev.polystore.testkit.broken;

import dev.polystore.Capabilities;
import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Forwards every call; broken backends override the one behaviour they get wrong. */
abstract class ForwardingBackend implements StorageBackend {
    protected final StorageBackend delegate;

    ForwardingBackend(StorageBackend delegate) {
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
