package dev.polystore.internal.coordination;

import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Store;
import dev.polystore.Transaction;
import dev.polystore.internal.Futures;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A transaction whose operation 0 is the lease's fence check; the caller sees only its own
 * operations (indexes and versions shifted back by one).
 */
final class FencedTransaction implements Transaction {
    private final DefaultLease lease;
    private final Transaction inner;

    FencedTransaction(DefaultLease lease, Transaction inner) {
        this.lease = lease;
        this.inner = inner;
        lease.addCheck(inner);
    }

    @Override
    public <T> Transaction put(Store<T> store, Item<T> item, Condition condition) {
        inner.put(store, item, condition);
        return this;
    }

    @Override
    public Transaction delete(Store<?> store, Key key, Condition condition) {
        inner.delete(store, key, condition);
        return this;
    }

    @Override
    public Transaction check(Store<?> store, Key key, Condition condition) {
        inner.check(store, key, condition);
        return this;
    }

    @Override
    public int size() {
        return inner.size() - 1;
    }

    @Override
    public CompletableFuture<List<Long>> commit() {
        return inner.commit().handle((versions, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(List.copyOf(versions.subList(1, versions.size())));
            }
            Throwable cause = Futures.unwrap(e);
            if (!(cause instanceof ConditionFailedException cf)) {
                return CompletableFuture.<List<Long>>failedFuture(cause);
            }
            if (cf.operationIndex().isPresent()) {
                int index = cf.operationIndex().getAsInt();
                if (index == 0) {
                    return CompletableFuture.<List<Long>>failedFuture(lease.rejected());
                }
                return CompletableFuture.<List<Long>>failedFuture(new ConditionFailedException(
                        "operation " + (index - 1) + " of a transaction fenced by " + lease + ": " + cf.getMessage(),
                        cf.key().orElse(null), index - 1, cf));
            }
            // The engine did not say which condition failed: ask the fence.
            return lease.fenceMoved().<List<Long>>handle((moved, readError) -> {
                if (readError == null && moved) {
                    throw lease.rejected();
                }
                throw cf;
            });
        }).thenCompose(f -> f);
    }
}
