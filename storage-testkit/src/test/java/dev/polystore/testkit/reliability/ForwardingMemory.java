package dev.polystore.testkit.reliability;

import dev.polystore.Capabilities;
import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import dev.polystore.testkit.memory.MemoryBackend;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** A memory backend with every call forwarded; the broken test backends here override the one thing they get wrong. */
abstract class ForwardingMemory implements StorageBackend {
    protected final MemoryBackend delegate;
    private final String name;

    ForwardingMemory(MemoryBackend delegate, String name) {
        this.delegate = delegate;
        this.name = name;
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
        return name;
    }

    @Override
    public void close() {
        delegate.close();
    }
}
