package dev.polystore.internal.coordination;

import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Store;
import dev.polystore.Transaction;
import dev.polystore.UnavailableException;
import dev.polystore.internal.Futures;
import dev.polystore.lease.Lease;
import dev.polystore.lease.LeaseLoss;
import dev.polystore.lease.LeaseLostException;
import dev.polystore.lease.Ticker;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One acquisition. Renewals and the release are serialized through {@link #serialized}; state is
 * guarded by {@code this}. Every write of the record carries a fresh write id, so that after a
 * lost answer (or a condition failure that may be our own earlier attempt) reading the record
 * back tells "applied" from "still ours at another version" (retry) from "taken over".
 */
final class DefaultLease implements Lease, Coordination.Participant {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultLease.class);

    private enum State { HELD, RELEASED, LOST }

    private enum Outcome { APPLIED, TAKEN_OVER, RELEASED_BEFORE }

    private final DefaultLeases leases;
    private final String name;
    private final Duration ttl;
    private final long token;
    private final String holder;
    private final long acquiredAt;
    private final Ticker ticker;
    private final long validNanos;
    private final Duration renewEvery;
    private final CompletableFuture<LeaseLoss> lost = new CompletableFuture<>();

    private long recordVersion;
    private long deadline;
    private State state = State.HELD;
    private LeaseLoss loss;
    private Throwable lastFailure;
    private CompletableFuture<?> tail = CompletableFuture.completedFuture(null);
    private ScheduledFuture<?> renewTask;
    private ScheduledFuture<?> expiryTask;

    DefaultLease(DefaultLeases leases, String name, Duration ttl, long token, String holder, long recordVersion,
                 long sentNanos, long acquiredAt) {
        this.leases = leases;
        this.name = name;
        this.ttl = ttl;
        this.token = token;
        this.holder = holder;
        this.recordVersion = recordVersion;
        this.acquiredAt = acquiredAt;
        this.ticker = leases.options().ticker();
        this.validNanos = ttl.minus(leases.options().safetyMarginFor(ttl)).toNanos();
        this.renewEvery = leases.options().renewEveryFor(ttl);
        this.deadline = sentNanos + validNanos;
    }

    /** Registers with the Storage's life cycle and starts the timers. */
    void start() {
        leases.coordination().register(this);
        synchronized (this) {
            if (leases.options().autoRenew()) {
                scheduleRenew(renewEvery);
            }
            scheduleExpiryCheck();
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String owner() {
        return leases.options().owner();
    }

    @Override
    public long token() {
        return token;
    }

    @Override
    public Duration ttl() {
        return ttl;
    }

    @Override
    public synchronized boolean isValid() {
        if (state != State.HELD) {
            return false;
        }
        if (ticker.nanos() - deadline >= 0) {
            expireLocked();
            return false;
        }
        return true;
    }

    @Override
    public synchronized Duration remaining() {
        if (!isValid()) {
            return Duration.ZERO;
        }
        return Duration.ofNanos(Math.max(0, deadline - ticker.nanos()));
    }

    @Override
    public CompletableFuture<LeaseLoss> lost() {
        return lost;
    }

    // ------------------------------------------------------------------ renew and release

    @Override
    public CompletableFuture<Lease> renew() {
        return serialized(() -> {
            synchronized (this) {
                LeaseLostException refused = refusalLocked();
                if (refused != null) {
                    return CompletableFuture.failedFuture(refused);
                }
            }
            return write(false, 1).thenApply(outcome -> {
                if (outcome == Outcome.APPLIED) {
                    return (Lease) this;
                }
                throw refusal();
            });
        });
    }

    @Override
    public CompletableFuture<Boolean> release() {
        return serialized(() -> {
            synchronized (this) {
                if (state == State.RELEASED || (state == State.LOST && loss.reason() == LeaseLoss.Reason.TAKEN_OVER)) {
                    return CompletableFuture.completedFuture(false);
                }
                cancelTimersLocked();
            }
            return write(true, 1).thenApply(outcome -> outcome == Outcome.APPLIED);
        });
    }

    private synchronized LeaseLostException refusal() {
        LeaseLostException e = refusalLocked();
        return e != null ? e : lostException("lease '" + name + "' (token " + token + ") is no longer held");
    }

    /** Why a renewal is refused now, or null if the lease is held and within its deadline. */
    private LeaseLostException refusalLocked() {
        if (state == State.HELD && ticker.nanos() - deadline >= 0) {
            expireLocked();
        }
        return switch (state) {
            case HELD -> null;
            case RELEASED -> lostException("lease '" + name + "' (token " + token + ") was released; acquire it again");
            case LOST -> lostException(loss.message());
        };
    }

    private LeaseLostException lostException(String message) {
        return new LeaseLostException(message, name, token, DefaultLeases.recordKey(name));
    }

    /**
     * Rewrites the record under "if version": a renewal, or a release (with the fence moved on,
     * where fences exist). Settles conditions and lost answers by reading the record back.
     */
    private CompletableFuture<Outcome> write(boolean release, int attempt) {
        String writeId = Names.randomId();
        LeaseRecord next = new LeaseRecord(owner(), holder, token, ttl.toMillis(), release, writeId, acquiredAt,
                leases.clock().millis());
        long expected;
        synchronized (this) {
            expected = recordVersion;
        }
        long sent = ticker.nanos();
        CompletableFuture<Long> written;
        Store<byte[]> items = leases.items;
        if (release && leases.transactions()) {
            written = leases.storage().transaction()
                    .put(items, Item.of(DefaultLeases.recordKey(name), leases.encode(next)), Condition.ifVersion(expected))
                    .put(items, Item.of(DefaultLeases.fenceKey(name), DefaultLeases.fencePayload(token + 1)),
                            Condition.ifVersion(token))
                    .commit().thenApply(versions -> versions.get(0));
        } else {
            written = items.put(Item.of(DefaultLeases.recordKey(name), leases.encode(next)), Condition.ifVersion(expected))
                    .thenApply(Item::version);
        }
        return written.handle((version, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(applied(release, version, sent));
            }
            Throwable cause = Futures.unwrap(e);
            if (cause instanceof ConditionFailedException || cause instanceof OutcomeUnknownException) {
                return settle(release, writeId, sent, attempt, cause);
            }
            noteFailure(cause);
            return CompletableFuture.<Outcome>failedFuture(cause);
        }).thenCompose(f -> f);
    }

    private CompletableFuture<Outcome> settle(boolean release, String writeId, long sent, int attempt, Throwable cause) {
        return leases.read(name).handle((now, readError) -> {
            if (readError != null) {
                Throwable reported = cause instanceof OutcomeUnknownException ? cause : Futures.unwrap(readError);
                noteFailure(reported);
                return CompletableFuture.<Outcome>failedFuture(reported);
            }
            LeaseRecord r = now.record();
            if (r != null && writeId.equals(r.writeId())) {
                return CompletableFuture.completedFuture(applied(release, now.recordVersion(), sent));
            }
            if (r != null && holder.equals(r.holder())) {
                if (r.released()) {
                    // An earlier release of ours applied (its answer was lost).
                    applied(true, now.recordVersion(), sent);
                    return CompletableFuture.completedFuture(release ? Outcome.APPLIED : Outcome.RELEASED_BEFORE);
                }
                // Still ours, at the version an earlier write of ours (whose answer was lost) left.
                synchronized (this) {
                    recordVersion = now.recordVersion();
                }
                if (attempt < DefaultLeases.WRITE_ATTEMPTS) {
                    return write(release, attempt + 1);
                }
                UnavailableException e = new UnavailableException("could not " + (release ? "release" : "renew")
                        + " lease '" + name + "' in " + attempt + " attempts (" + cause.getMessage()
                        + "); it is still this holder's", cause);
                noteFailure(e);
                return CompletableFuture.<Outcome>failedFuture(e);
            }
            markLost(LeaseLoss.Reason.TAKEN_OVER, "lease '" + name + "' (token " + token + ") was taken over"
                    + (r == null ? "" : " by '" + r.owner() + "' (token " + r.fence() + ")"), null);
            return CompletableFuture.completedFuture(Outcome.TAKEN_OVER);
        }).thenCompose(f -> f);
    }

    private Outcome applied(boolean release, long version, long sent) {
        LeaseLoss released = null;
        synchronized (this) {
            recordVersion = version;
            if (release) {
                cancelTimersLocked();
                if (state == State.HELD) {
                    released = new LeaseLoss(LeaseLoss.Reason.RELEASED, "lease '" + name + "' (token " + token
                            + ") was released", null);
                    loss = released;
                }
                state = State.RELEASED;
            } else if (state == State.HELD) {
                deadline = Math.max(deadline, sent + validNanos);
                lastFailure = null;
                scheduleExpiryCheck();
            }
        }
        if (released != null) {
            leases.coordination().unregister(this);
            complete(released);
        }
        return Outcome.APPLIED;
    }

    private synchronized void noteFailure(Throwable cause) {
        lastFailure = cause;
    }

    private void expireLocked() {
        LeaseLoss.Reason reason = lastFailure != null ? LeaseLoss.Reason.UNAVAILABLE : LeaseLoss.Reason.EXPIRED;
        String message = "lease '" + name + "' (token " + token + ") was not renewed within " + ttl + " minus its "
                + "safety margin" + (lastFailure != null ? ": " + lastFailure.getMessage() : "");
        markLostLocked(reason, message, lastFailure);
    }

    /** Reports the loss once; a released lease stays released. */
    void markLost(LeaseLoss.Reason reason, String message, Throwable cause) {
        synchronized (this) {
            markLostLocked(reason, message, cause);
        }
    }

    private void markLostLocked(LeaseLoss.Reason reason, String message, Throwable cause) {
        if (state != State.HELD) {
            return;
        }
        state = State.LOST;
        loss = new LeaseLoss(reason, message, cause);
        cancelTimersLocked();
        LeaseLoss l = loss;
        leases.coordination().unregister(this);
        complete(l);
    }

    private void complete(LeaseLoss l) {
        LOG.debug("{}", l.message());
        Coordination.run(leases.coordination().workers(), () -> lost.complete(l));
    }

    // ------------------------------------------------------------------ timers

    private void scheduleRenew(Duration delay) {
        if (state != State.HELD) {
            return;
        }
        if (renewTask != null) {
            renewTask.cancel(false);
        }
        renewTask = leases.coordination().schedule(this::autoRenew, delay);
    }

    private void autoRenew() {
        renew().whenComplete((l, e) -> {
            synchronized (this) {
                if (e == null) {
                    scheduleRenew(renewEvery);
                    return;
                }
                if (Futures.unwrap(e) instanceof LeaseLostException || state != State.HELD) {
                    return;
                }
                // A transient failure: try again soon, well before the deadline.
                long left = deadline - ticker.nanos();
                long retry = Math.max(Duration.ofMillis(1).toNanos(), Math.min(renewEvery.toNanos() / 4, left / 3));
                scheduleRenew(Duration.ofNanos(retry));
            }
        });
    }

    private void scheduleExpiryCheck() {
        if (state != State.HELD) {
            return;
        }
        if (expiryTask != null) {
            expiryTask.cancel(false);
        }
        long left = Math.max(Duration.ofMillis(1).toNanos(), deadline - ticker.nanos());
        expiryTask = leases.coordination().schedule(() -> {
            synchronized (this) {
                if (isValid()) {
                    scheduleExpiryCheck();
                }
            }
        }, Duration.ofNanos(left));
    }

    private void cancelTimersLocked() {
        if (renewTask != null) {
            renewTask.cancel(false);
            renewTask = null;
        }
        if (expiryTask != null) {
            expiryTask.cancel(false);
            expiryTask = null;
        }
    }

    @Override
    public CompletableFuture<Void> stop() {
        markLost(LeaseLoss.Reason.UNAVAILABLE, "the Storage was closed while lease '" + name + "' (token " + token
                + ") was held; it was not released and lapses after its TTL", null);
        return CompletableFuture.completedFuture(null);
    }

    private synchronized <T> CompletableFuture<T> serialized(Supplier<CompletableFuture<T>> op) {
        CompletableFuture<T> next = tail.handle((v, e) -> null).thenCompose(v -> {
            try {
                return op.get();
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        });
        tail = next;
        return next;
    }

    // ------------------------------------------------------------------ fenced writes

    @Override
    public Transaction transaction() {
        return new FencedTransaction(this, leases.storage().transaction());
    }

    @Override
    public <T> CompletableFuture<Item<T>> put(Store<T> store, Item<T> item, Condition condition) {
        Transaction tx = transaction();
        try {
            tx.put(store, item, condition);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return tx.commit().thenApply(versions -> item.withVersion(versions.get(0)));
    }

    @Override
    public CompletableFuture<Void> delete(Store<?> store, Key key, Condition condition) {
        Transaction tx = transaction();
        try {
            tx.delete(store, key, condition);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return tx.commit().thenApply(versions -> null);
    }

    /** Adds the fence check ("the fence is still at my token") to {@code tx}. */
    void addCheck(Transaction tx) {
        tx.check(leases.items, DefaultLeases.fenceKey(name), Condition.ifVersion(token));
    }

    /** The error of a fenced write the engine rejected because the fence moved on; reports the loss. */
    LeaseLostException rejected() {
        markLost(LeaseLoss.Reason.TAKEN_OVER, "lease '" + name + "' (token " + token + ") was acquired by another "
                + "holder: a fenced write was rejected", null);
        return new LeaseLostException("lease '" + name + "' (token " + token + ") is no longer held by this holder: "
                + "another holder has acquired it, or it was released; the fenced write was not applied", name, token,
                DefaultLeases.fenceKey(name));
    }

    /** Whether the fence is no longer at this lease's token (read now). */
    CompletableFuture<Boolean> fenceMoved() {
        return leases.fenceVersion(name).thenApply(v -> v != token);
    }

    @Override
    public String toString() {
        return "Lease{" + name + ", token " + token + ", owner " + owner() + "}";
    }
}
