package dev.polystore;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * An atomic write of several items, possibly in several stores of one {@link Storage}
 * ({@link Capability#TRANSACTIONS}): every operation is applied, or none is.
 *
 * <p>Build it with {@link #put}, {@link #delete} and {@link #check}, then {@link #commit()}.
 * Not thread-safe while being built; commit at most once. Each key may appear once per
 * transaction. The size is bounded by {@link Capabilities#maxTransactionItems()} and
 * {@link Capabilities#maxTransactionBytes()}: larger transactions fail with
 * {@link ValidationException} before anything is written.
 *
 * <p>If a condition fails, nothing is written and {@link #commit()} completes with
 * {@link ConditionFailedException} whose {@code operationIndex()} names the operation (in the
 * order added), when the engine reports it.
 */
public interface Transaction {

    <T> Transaction put(Store<T> store, Item<T> item, Condition condition);

    default <T> Transaction put(Store<T> store, Item<T> item) {
        return put(store, item, Condition.none());
    }

    Transaction delete(Store<?> store, Key key, Condition condition);

    default Transaction delete(Store<?> store, Key key) {
        return delete(store, key, Condition.none());
    }

    /** Requires {@code condition} to hold for {@code key} without writing it. */
    Transaction check(Store<?> store, Key key, Condition condition);

    /** The number of operations added so far. */
    int size();

    /**
     * Applies every operation atomically.
     *
     * @return for each operation in order, the new version of a put, or 0 for deletes and checks
     */
    CompletableFuture<List<Long>> commit();
}
