package dev.polystore.internal.coordination;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polystore.Capability;
import dev.polystore.Codec;
import dev.polystore.CodecException;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Item;
import dev.polystore.JacksonCodec;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.StoreException;
import dev.polystore.Transaction;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import dev.polystore.internal.Futures;
import dev.polystore.lease.Lease;
import dev.polystore.lease.LeaseInfo;
import dev.polystore.lease.LeaseOptions;
import dev.polystore.lease.LeaseTimeoutException;
import dev.polystore.lease.Leases;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link Leases} over the public API. Item layout (table {@value #TABLE}), per lease name:
 * <pre>
 * pk lease#&lt;name&gt;  sk F   the fence: its version is the current token; only acquisitions and
 *                         releases write it ({@code TRANSACTIONS} only); never deleted
 * pk lease#&lt;name&gt;  sk L   the record ({@link LeaseRecord}): every acquisition, renewal and release
 *                         rewrites it under "if version"; never deleted
 * </pre>
 * A contender takes over a held lease only after this instance has seen the record's version
 * unchanged for the holder's TTL on its own ticker.
 */
public final class DefaultLeases implements Leases {
    public static final String TABLE = "leases";
    static final String FENCE_SK = "F";
    static final String RECORD_SK = "L";
    /** Conditional writes a holder makes to settle one renewal or release whose answer was lost. */
    static final int WRITE_ATTEMPTS = 4;

    private final Storage storage;
    private final Clock clock;
    private final Coordination coordination;
    private final LeaseOptions options;
    private final boolean transactions;
    private final ObjectMapper mapper = JacksonCodec.defaultMapper();
    final Store<byte[]> items;
    /** What this instance last saw of each held lease: the record's version and when (ticker). */
    private final Map<String, Observation> observations = new ConcurrentHashMap<>();

    private record Observation(long version, long sinceNanos) {
    }

    /** A lease's two items as read together. */
    record State(String name, LeaseRecord record, long recordVersion, long fenceVersion) {
        boolean free() {
            return record == null || record.released();
        }
    }

    public DefaultLeases(Storage storage, Clock clock, Coordination coordination, LeaseOptions options) {
        this.storage = Objects.requireNonNull(storage, "storage");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.coordination = Objects.requireNonNull(coordination, "coordination");
        this.options = Objects.requireNonNull(options, "options");
        this.transactions = storage.capabilities().has(Capability.TRANSACTIONS);
        this.items = storage.store(TABLE, Codec.bytes());
    }

    @Override
    public LeaseOptions options() {
        return options;
    }

    Storage storage() {
        return storage;
    }

    Coordination coordination() {
        return coordination;
    }

    boolean transactions() {
        return transactions;
    }

    Clock clock() {
        return clock;
    }

    static String pk(String name) {
        return "lease#" + name;
    }

    static Key fenceKey(String name) {
        return Key.of(pk(name), FENCE_SK);
    }

    static Key recordKey(String name) {
        return Key.of(pk(name), RECORD_SK);
    }

    // ------------------------------------------------------------------ acquiring

    @Override
    public CompletableFuture<Optional<Lease>> tryAcquire(String name, Duration ttl) {
        try {
            Names.requireName("lease name", name);
            checkTtl(ttl);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return read(name).thenCompose(state -> {
            // Taken after the read completed: the holder's last write was sent before this.
            long now = options.ticker().nanos();
            if (state.free()) {
                return acquireFrom(state, ttl);
            }
            Observation seen = observations.get(name);
            if (seen == null || seen.version() != state.recordVersion()) {
                observations.put(name, new Observation(state.recordVersion(), now));
                return CompletableFuture.completedFuture(Optional.empty());
            }
            if (now - seen.sinceNanos() >= Duration.ofMillis(state.record().ttlMillis()).toNanos()) {
                return acquireFrom(state, ttl);
            }
            return CompletableFuture.completedFuture(Optional.empty());
        });
    }

    private void checkTtl(Duration ttl) {
        Names.requireTtl(ttl);
        Duration margin = options.safetyMarginFor(ttl);
        if (margin.compareTo(ttl) >= 0) {
            throw new ValidationException("the safety margin " + margin + " must be shorter than the ttl " + ttl);
        }
        if (options.autoRenew() && options.renewEveryFor(ttl).compareTo(ttl.minus(margin)) >= 0) {
            throw new ValidationException("renewEvery " + options.renewEveryFor(ttl) + " must be shorter than ttl - "
                    + "safetyMargin (" + ttl.minus(margin) + "), or the lease lapses between renewals");
        }
    }

    private CompletableFuture<Optional<Lease>> acquireFrom(State state, Duration ttl) {
        String name = state.name();
        long token = transactions ? state.fenceVersion() + 1 : (state.record() == null ? 0 : state.record().fence()) + 1;
        String holder = Names.randomId();
        long wall = clock.millis();
        LeaseRecord next = new LeaseRecord(options.owner(), holder, token, ttl.toMillis(), false, holder, wall, wall);
        Condition onRecord = state.record() == null ? Condition.ifAbsent() : Condition.ifVersion(state.recordVersion());
        long sent = options.ticker().nanos();
        CompletableFuture<Long> written;
        if (transactions) {
            Transaction tx = storage.transaction()
                    .put(items, Item.of(recordKey(name), encode(next)), onRecord)
                    .put(items, Item.of(fenceKey(name), fencePayload(token)),
                            state.fenceVersion() == 0 ? Condition.ifAbsent() : Condition.ifVersion(state.fenceVersion()));
            written = tx.commit().thenApply(versions -> versions.get(0));
        } else {
            written = items.put(Item.of(recordKey(name), encode(next)), onRecord).thenApply(Item::version);
        }
        return written.handle((version, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(Optional.<Lease>of(granted(name, ttl, token, holder, version,
                        sent, wall)));
            }
            Throwable cause = Futures.unwrap(e);
            if (cause instanceof ConditionFailedException) {
                // Another contender came first (or the holder renewed just now).
                observations.remove(name);
                return CompletableFuture.completedFuture(Optional.<Lease>empty());
            }
            if (cause instanceof OutcomeUnknownException) {
                // Read back: our write carries our holder id as its write id.
                return read(name).handle((now, readError) -> {
                    if (readError != null) {
                        throw new OutcomeUnknownException("acquiring lease '" + name + "' may or may not have applied ("
                                + cause.getMessage() + "), and reading it back failed; if it applied, nobody renews it "
                                + "and it lapses after " + ttl, recordKey(name), cause);
                    }
                    if (now.record() != null && holder.equals(now.record().writeId())) {
                        return Optional.<Lease>of(granted(name, ttl, token, holder, now.recordVersion(), sent, wall));
                    }
                    observations.remove(name);
                    return Optional.<Lease>empty();
                });
            }
            return CompletableFuture.<Optional<Lease>>failedFuture(cause);
        }).thenCompose(f -> f);
    }

    private DefaultLease granted(String name, Duration ttl, long token, String holder, long recordVersion, long sent,
                                 long acquiredAt) {
        observations.remove(name);
        DefaultLease lease = new DefaultLease(this, name, ttl, token, holder, recordVersion, sent, acquiredAt);
        lease.start();
        return lease;
    }

    @Override
    public CompletableFuture<Lease> acquire(String name, Duration ttl, Duration timeout) {
        try {
            Names.requireName("lease name", name);
            checkTtl(ttl);
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new ValidationException("timeout must not be negative, got " + timeout);
            }
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        CompletableFuture<Lease> result = new CompletableFuture<>();
        long deadline = options.ticker().nanos() + timeout.toNanos();
        attempt(name, ttl, timeout, deadline, null, result);
        return result;
    }

    private void attempt(String name, Duration ttl, Duration timeout, long deadline, Throwable lastFailure,
                         CompletableFuture<Lease> result) {
        tryAcquire(name, ttl).whenComplete((lease, e) -> {
            Throwable failure = lastFailure;
            if (e == null && lease.isPresent()) {
                result.complete(lease.get());
                return;
            }
            if (e != null) {
                Throwable cause = Futures.unwrap(e);
                boolean transientFailure = cause instanceof UnavailableException || cause instanceof OutcomeUnknownException;
                if (!transientFailure) {
                    result.completeExceptionally(cause);
                    return;
                }
                failure = cause;
            }
            long now = options.ticker().nanos();
            if (now >= deadline || coordination.closed()) {
                Throwable last = failure;
                describe(name).whenComplete((info, readError) -> result.completeExceptionally(new LeaseTimeoutException(
                        "lease '" + name + "' was not acquired within " + timeout
                                + (info != null && info.isPresent() && !info.get().released()
                                ? ": held by '" + info.get().owner() + "' (token " + info.get().token() + ")" : "")
                                + (last != null ? "; last failure: " + last.getMessage() : ""), last)));
                return;
            }
            Duration poll = options.pollIntervalFor(ttl);
            Duration wait = Duration.ofNanos(Math.min(poll.toNanos(), Math.max(0, deadline - now)));
            Throwable keep = failure;
            if (coordination.schedule(() -> attempt(name, ttl, timeout, deadline, keep, result), wait) == null) {
                result.completeExceptionally(new UnavailableException("the Storage was closed while acquiring lease '"
                        + name + "'", null));
            }
        });
    }

    @Override
    public CompletableFuture<Optional<LeaseInfo>> describe(String name) {
        try {
            Names.requireName("lease name", name);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return read(name).thenApply(s -> {
            if (s.record() == null) {
                return Optional.empty();
            }
            LeaseRecord r = s.record();
            return Optional.of(new LeaseInfo(name, r.owner(), r.fence(), Duration.ofMillis(r.ttlMillis()), r.released(),
                    Instant.ofEpochMilli(r.acquiredAt()), Instant.ofEpochMilli(r.writtenAt()), s.recordVersion()));
        });
    }

    // ------------------------------------------------------------------ items

    /** Both items of a lease, in one query of its partition. */
    CompletableFuture<State> read(String name) {
        return items.query(Query.partition(pk(name)).limit(10)).thenApply(page -> {
            LeaseRecord record = null;
            long recordVersion = 0;
            long fenceVersion = 0;
            for (Item<byte[]> item : page.items()) {
                if (item.sk().equals(RECORD_SK)) {
                    record = decode(item);
                    recordVersion = item.version();
                } else if (item.sk().equals(FENCE_SK)) {
                    fenceVersion = item.version();
                }
            }
            return new State(name, record, recordVersion, fenceVersion);
        });
    }

    /** The fence's current version (0 if absent). */
    CompletableFuture<Long> fenceVersion(String name) {
        return items.get(fenceKey(name)).thenApply(found -> found.map(Item::version).orElse(0L));
    }

    byte[] encode(LeaseRecord record) {
        try {
            return mapper.writeValueAsBytes(record);
        } catch (IOException e) {
            throw new CodecException("cannot encode a lease record: " + e.getMessage(), e);
        }
    }

    private LeaseRecord decode(Item<byte[]> item) {
        try {
            return mapper.readValue(item.value(), LeaseRecord.class);
        } catch (IOException e) {
            throw new CodecException("cannot decode the lease record " + item.key() + " of store '" + TABLE + "': "
                    + e.getMessage(), e);
        }
    }

    static byte[] fencePayload(long token) {
        return ("{\"token\":" + token + "}").getBytes(StandardCharsets.UTF_8);
    }
}
