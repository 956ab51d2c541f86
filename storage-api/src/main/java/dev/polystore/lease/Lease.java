package dev.polystore.lease;

import dev.polystore.Condition;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Store;
import dev.polystore.Transaction;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One acquisition of a named lease, held by this process until released or lost. From
 * {@link Leases#tryAcquire} or {@link Leases#acquire}; see {@link Leases} for tokens and clocks.
 *
 * <p><b>Validity</b> ({@link #isValid()}) is this holder's own view, on its own ticker: until
 * {@code ttl - safetyMargin} after the last renewal it sent and the engine confirmed. A holder that
 * was paused may still believe it is valid after another process took over; that is what fenced
 * writes are for: the engine, not this object, decides whether they apply.
 *
 * <p><b>Renewal</b> rewrites the lease's record (one conditional put) and moves the deadline. A
 * renewal whose answer was lost is resolved by reading the record back: every write carries a
 * random write id, so the holder recognizes its own write and never mistakes it for a takeover.
 * With automatic renewal (the default) a failed renewal is retried until the deadline.
 *
 * <p><b>Loss</b> is reported once through {@link #lost()}: {@code TAKEN_OVER} (another holder has
 * it), {@code UNAVAILABLE} (renewals failed until the deadline), {@code EXPIRED} (no renewal was
 * attempted in time), or {@code RELEASED}. After that, {@link #renew()} fails with
 * {@link LeaseLostException}; fenced writes are still sent and checked by the engine (they succeed
 * only while no other holder has acquired the lease).
 *
 * <p>Thread-safe: renewals and the release are serialized.
 */
public interface Lease {

    /** The lease's name. */
    String name();

    /** The owner label of this holder. */
    String owner();

    /** The fencing token of this acquisition: greater than every earlier acquisition's of the name. */
    long token();

    /** The time-to-live it was acquired with. */
    Duration ttl();

    /**
     * Whether this holder still considers the lease valid: not released or lost, and its deadline
     * not passed on its ticker. Passing the deadline reports the loss through {@link #lost()}.
     */
    boolean isValid();

    /** Time left until the deadline on this holder's ticker; zero once not valid. */
    Duration remaining();

    /**
     * Renews now: the deadline moves to {@code ttl - safetyMargin} after this renewal's send time.
     *
     * @return completes with this lease; exceptionally with {@link LeaseLostException} if the
     *     lease was released, lost or taken over (the loss is then reported by {@link #lost()}), or
     *     with {@link dev.polystore.UnavailableException} / {@link dev.polystore.OutcomeUnknownException}
     *     if the engine failed (the lease stays this holder's until its deadline; try again)
     */
    CompletableFuture<Lease> renew();

    /**
     * Releases the lease, if it is still this acquisition's in the engine, and stops automatic
     * renewal. A later acquisition gets a greater token at once (no TTL to wait), and fenced
     * writes of this holder fail from now on.
     *
     * @return true if it was still held (nobody had taken it over) and is now released; false if
     *     it had been taken over or was already released
     */
    CompletableFuture<Boolean> release();

    /**
     * Completes once, when the lease ends: lost (taken over, unavailable, expired) or released.
     * Dependent actions run on a Polystore thread or the thread that noticed; keep them short.
     */
    CompletableFuture<LeaseLoss> lost();

    /**
     * A new transaction of the lease's Storage whose commit also requires that this acquisition
     * still holds the lease: if another holder has acquired it (or it was released), the commit
     * fails with {@link LeaseLostException} and writes nothing. The check takes one of the
     * transaction's operations, so it holds one operation fewer than
     * {@link dev.polystore.Capabilities#maxTransactionItems()}. Operation indexes of
     * {@code ConditionFailedException}s and the versions {@code commit()} returns are those of the
     * operations added, as in any transaction.
     *
     * <p>Commit fails with {@link dev.polystore.UnsupportedCapabilityException} on a backend without
     * {@link dev.polystore.Capability#TRANSACTIONS}.
     */
    Transaction transaction();

    /** A put that applies only while this acquisition holds the lease; see {@link #transaction()}. */
    <T> CompletableFuture<Item<T>> put(Store<T> store, Item<T> item, Condition condition);

    /** {@code put(store, item, Condition.none())}. */
    default <T> CompletableFuture<Item<T>> put(Store<T> store, Item<T> item) {
        return put(store, item, Condition.none());
    }

    /** A delete that applies only while this acquisition holds the lease; see {@link #transaction()}. */
    CompletableFuture<Void> delete(Store<?> store, Key key, Condition condition);
}
