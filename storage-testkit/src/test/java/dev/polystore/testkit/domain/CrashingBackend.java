package dev.polystore.testkit.domain;

import dev.polystore.Capabilities;
import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.UnavailableException;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A view of a shared backend that "dies" after a number of transactions: from then on every
 * transaction fails without writing, as if the writing process had crashed between two steps.
 * Another view of the same backend plays the process that comes next.
 */
class CrashingBackend implements StorageBackend {
    private final StorageBackend shared;
    private final AtomicInteger transactionsLeft;

    CrashingBackend(StorageBackend shared, int transactionsBeforeCrash) {
        this.shared = shared;
        this.transactionsLeft = new AtomicInteger(transactionsBeforeCrash);
    }

    @Override
    public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
        if (transactionsLeft.getAndDecrement() <= 0) {
            return CompletableFuture.failedFuture(new UnavailableException("simulated crash: nothing written", null));
        }
        return shared.transact(operations);
    }

    @Override
    public Capabilities capabilities() {
        return shared.capabilities();
    }

    @Override
    public CompletableFuture<Void> prepareTable(String table) {
        return shared.prepareTable(table);
    }

    @Override
    public CompletableFuture<Optional<RawItem>> get(String table, Key key) {
        return shared.get(table, key);
    }

    @Override
    public CompletableFuture<Long> put(WriteOp.Put put) {
        return shared.put(put);
    }

    @Override
    public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
        return shared.delete(delete);
    }

    @Override
    public CompletableFuture<RawPage> query(QuerySpec query) {
        return shared.query(query);
    }

    @Override
    public CompletableFuture<List<RawItem>> batchGet(String table, List<Key> keys) {
        return shared.batchGet(table, keys);
    }

    @Override
    public CompletableFuture<Void> batchWrite(String table, List<WriteOp> writes) {
        return shared.batchWrite(table, writes);
    }

    @Override
    public CompletableFuture<Health> health() {
        return shared.health();
    }

    @Override
    public String name() {
        return shared.name();
    }

    @Override
    public void close() {
        // The shared backend outlives its views.
    }
}
