package dev.polystore.lease;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Named leases (locks with a time-to-live) with fencing tokens, written once over the SPI and
 * the same on every backend; from {@code Storage.leases()}. See {@code docs/coordination.md}.
 *
 * <p><b>Fencing tokens.</b> Every acquisition of a name gets a token greater than every earlier
 * one's, also across releases, expiries, takeovers and restarts of any process: the token is the
 * version of the lease's fence item, which is never deleted and which only acquisitions and
 * releases move (renewals do not). A write made through {@link Lease#put}, {@link Lease#delete}
 * or {@link Lease#transaction()} carries the check "the fence is still at my token" into the
 * engine, atomically with the write: after another holder has acquired the lease, every fenced
 * write of the old holder fails with {@link LeaseLostException} (a
 * {@code ConditionFailedException}), even if that holder was paused and never noticed.
 *
 * <p><b>Clocks.</b> Wall clocks are never compared. A lease is taken over only by a contender that
 * has seen its record <em>unchanged</em> for the holder's whole TTL on the contender's own
 * {@link Ticker} (the holder renews by rewriting the record); the holder considers its lease valid
 * until {@code ttl - safetyMargin} after the send time of its last confirmed write, on its own
 * ticker. Any offset between the machines' clocks is tolerated; their rates may differ by up to
 * {@code safetyMargin / (2 ttl - safetyMargin)}. The price: a contender that finds a lease whose
 * holder died waits a full TTL from when it first looks, however long ago the holder died.
 *
 * <p><b>Costs</b> (engine round trips): {@code tryAcquire} 2 (read the lease's two items in one
 * query, then one transaction); {@code renew} 1; {@code release} 1; a fenced write 1 (on DynamoDB,
 * a fenced transaction containing unconditional or "if exists" puts reads those items first, as
 * every such transaction does).
 *
 * <p>Without {@link dev.polystore.Capability#TRANSACTIONS} leases still work (the record alone,
 * the token kept in it), but fenced writes fail with
 * {@link dev.polystore.UnsupportedCapabilityException}.
 *
 * <p>Thread-safe. Futures complete exceptionally with {@link dev.polystore.StoreException}s:
 * {@link dev.polystore.ValidationException} for a bad name or TTL,
 * {@link dev.polystore.UnavailableException} when the engine cannot be reached (nothing was
 * acquired), {@link dev.polystore.OutcomeUnknownException} when an acquisition may have applied
 * and could not be read back (if it did, nobody renews it and it lapses after its TTL).
 */
public interface Leases {

    /**
     * Acquires {@code name} if it is free (never acquired, or released), or if this instance has
     * seen its record unchanged for its holder's whole TTL; otherwise completes with empty at once
     * (the first call on a held lease starts that observation, so a later call may take it over).
     *
     * @param name 1 to 512 UTF-8 bytes, no U+0000 and no unpaired surrogates
     * @param ttl at least 10 ms, at most 7 days; longer than the options' safety margin and renewal interval
     */
    CompletableFuture<Optional<Lease>> tryAcquire(String name, Duration ttl);

    /**
     * Acquires {@code name}, waiting while another holder has it, looking again every poll
     * interval ({@link LeaseOptions#pollIntervalFor(Duration)}); retries transient engine failures
     * until {@code timeout}, measured on the options' ticker.
     *
     * @return completes with the lease, or exceptionally with {@link LeaseTimeoutException}
     */
    CompletableFuture<Lease> acquire(String name, Duration ttl, Duration timeout);

    /** What the engine records about {@code name}, or empty if it was never acquired. */
    CompletableFuture<Optional<LeaseInfo>> describe(String name);

    /** The options of this instance. */
    LeaseOptions options();
}
