package dev.polystore;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * An atomic write of several items, possibly in several stores of one {@link Storage}
 * ({@link Capability#TRANSACTIONS}): every operation is applied, or none is.
 *
 * <p>Build it with {@link #put}, {@link #delete} and {@link #check}, then {@link #commit()}.
 * Not thread-safe while being built. Each key may appear once per transaction. The size is
 * bounded by {@link Capabilities#maxTransactionItems()} and
 * {@link Capabilities#maxTransactionBytes()}: larger transactions fail with
 * {@link ValidationException} before anything is written. Invalid operations (a bad key, a
 * store of another {@code Storage}) do not throw while building: {@code commit()} reports the
 * first one.
 *
 * <p>If a condition fails, nothing is written and {@link #commit()} completes with
 * {@link ConditionFailedException} whose {@code operationIndex()} names the operation (in the
 * order added), when the engine reports it.
 *
 * <p><b>One use.</b> A transaction commits once. Using it after {@code commit()} — adding an
 * operation or committing again, whatever the first commit's outcome — is a programming error
 * and is reported the way the JDK reports the misuse of a used-up object, with
 * {@link IllegalStateException}, never with a {@link StoreException} (so code that retries or
 * maps storage errors never mistakes it for an engine's answer): {@link #put}, {@link #delete}
 * and {@link #check} throw it, and a second {@code commit()} returns a future failed with it
 * (methods returning a future never throw). The misuse writes nothing and leaves the first
 * commit's outcome as it was; to write again, start a new transaction with
 * {@link Storage#transaction()}. Polystore reports every misuse of a one-shot object this way.
 */
public interface Transaction {

    /**
     * Adds a write of {@code item} to {@code store} if {@code condition} holds at commit.
     *
     * @return this transaction
     * @throws IllegalStateException if this transaction was already committed
     */
    <T> Transaction put(Store<T> store, Item<T> item, Condition condition);

    /**
     * Adds an unconditional write of {@code item}.
     *
     * @return this transaction
     * @throws IllegalStateException if this transaction was already committed
     */
    default <T> Transaction put(Store<T> store, Item<T> item) {
        return put(store, item, Condition.none());
    }

    /**
     * Adds a delete of {@code key} if {@code condition} holds at commit ({@link Condition#ifAbsent()}
     * is not a delete condition).
     *
     * @return this transaction
     * @throws IllegalStateException if this transaction was already committed
     */
    Transaction delete(Store<?> store, Key key, Condition condition);

    /**
     * Adds an unconditional delete of {@code key} (nothing happens to a missing item).
     *
     * @return this transaction
     * @throws IllegalStateException if this transaction was already committed
     */
    default Transaction delete(Store<?> store, Key key) {
        return delete(store, key, Condition.none());
    }

    /**
     * Requires {@code condition} to hold for {@code key} without writing it.
     *
     * @return this transaction
     * @throws IllegalStateException if this transaction was already committed
     */
    Transaction check(Store<?> store, Key key, Condition condition);

    /** The number of operations added so far. */
    int size();

    /**
     * Applies every operation atomically. Never throws; the future completes exceptionally with
     * <ul>
     *   <li>{@link ValidationException} for an invalid operation or a transaction over the
     *       backend's limits, before anything is sent to the engine;</li>
     *   <li>{@link ConditionFailedException} if a condition does not hold (nothing written);</li>
     *   <li>{@link UnsupportedCapabilityException} without {@link Capability#TRANSACTIONS};</li>
     *   <li>{@link UnavailableException} (nothing written, retryable) or
     *       {@link OutcomeUnknownException} (may have been applied) when the engine fails;</li>
     *   <li>{@link IllegalStateException} if this transaction was already committed: a misuse, see
     *       the class description.</li>
     * </ul>
     * An empty transaction commits to nothing, without calling the engine.
     *
     * @return for each operation in order, the new version of a put, or 0 for deletes and checks
     */
    CompletableFuture<List<Long>> commit();
}
