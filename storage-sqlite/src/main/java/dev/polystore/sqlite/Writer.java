package dev.polystore.sqlite;

import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Key;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.spi.WriteOp;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single writer: one connection and one thread, fed by a queue.
 *
 * <p><b>Group commit.</b> The thread takes every request waiting in the queue (up to
 * {@code group_commit_max_ops} operations), runs them in one {@code BEGIN IMMEDIATE}
 * transaction and commits once, so concurrent writers share one fsync. Each request runs inside
 * its own {@code SAVEPOINT}: a failed condition (or any other failure of one request) is rolled
 * back to its savepoint and fails only that request. Futures complete only after
 * {@code COMMIT} has returned, i.e. once the group is durable at the configured
 * {@code synchronous} level; they are completed on the completion executor, never on this
 * thread, so a slow or blocking callback cannot stall writes.
 *
 * <p>Requests are applied in queue order, each seeing the writes of those before it, exactly as
 * if they had been committed one by one.
 */
final class Writer {
    private static final Logger LOG = LoggerFactory.getLogger(Writer.class);

    /** The part of a request that runs inside the transaction. */
    interface Op<T> {
        T apply(Writer writer, Instant now) throws SQLException;
    }

    /** One caller's write: an operation, its weight (number of items) and its future. */
    static final class Request<T> {
        final CompletableFuture<T> future = new CompletableFuture<>();
        final int weight;
        private final Supplier<String> what;
        final Key key;
        final Op<T> op;
        T result;
        StoreException failure;

        /** @param what what the request does, for messages (built only when one is needed) */
        Request(int weight, Supplier<String> what, Key key, Op<T> op) {
            this.weight = weight;
            this.what = what;
            this.key = key;
            this.op = op;
        }

        String what() {
            return what.get();
        }

        void complete() {
            if (failure != null) {
                future.completeExceptionally(failure);
            } else {
                future.complete(result);
            }
        }
    }

    private static final Request<Void> STOP = new Request<>(0, () -> "stop", null, (w, now) -> null);

    private final StatementCache cache;
    private final Transactions transactions;
    private final SqliteErrors errors;
    private final Clock clock;
    private final Executor completions;
    private final int maxOps;
    private final LinkedBlockingQueue<Request<?>> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    /** Most expired items one background purge deletes per store. */
    private static final int PURGE_BATCH = 500;

    private final long purgeIntervalNanos;
    private long lastPurge = System.nanoTime();
    /** Whether the last purge stopped at its limit in some store. */
    private boolean purgeIncomplete;
    private final AtomicLong purged = new AtomicLong();
    private final AtomicLong commits = new AtomicLong();
    private final AtomicLong committedRequests = new AtomicLong();

    Writer(StatementCache cache, Transactions transactions, SqliteErrors errors, Clock clock, Executor completions,
           int maxOps, Duration purgeInterval, String threadName) {
        this.purgeIntervalNanos = purgeInterval.toNanos();
        this.cache = cache;
        this.transactions = transactions;
        this.errors = errors;
        this.clock = clock;
        this.completions = completions;
        this.maxOps = maxOps;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Queues a request; the caller makes sure {@link #stop()} has not been called yet. */
    <T> CompletableFuture<T> submit(Request<T> request) {
        queue.add(request);
        return request.future;
    }

    /** Queues the stop marker: requests queued before it are committed, then the thread ends. */
    void stop() {
        queue.add(STOP);
    }

    /** Waits for the thread to finish the requests queued before {@link #stop()}. */
    void awaitStopped() throws InterruptedException {
        thread.join();
    }

    int pending() {
        return queue.size();
    }

    /** Transactions committed so far. */
    long commits() {
        return commits.get();
    }

    /** Requests (puts, deletes, transactions, batches, table creations) committed so far. */
    long committedRequests() {
        return committedRequests.get();
    }

    StatementCache statements() {
        return cache;
    }

    private void run() {
        List<Request<?>> group = new ArrayList<>();
        while (true) {
            Request<?> next;
            try {
                if (purgeIntervalNanos > 0) {
                    next = queue.poll(Math.max(0, lastPurge + purgeIntervalNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
                } else {
                    next = queue.take();
                }
            } catch (InterruptedException e) {
                // Nobody interrupts this thread on purpose; keep serving until stopped.
                LOG.debug("SQLite writer interrupted; continuing until stopped");
                continue;
            }
            if (next == null) {
                purgeInBackground();
                continue;
            }
            group.clear();
            boolean stop = false;
            int weight = 0;
            while (next != null) {
                if (next == STOP) {
                    stop = true;
                    break;
                }
                group.add(next);
                weight += next.weight;
                if (weight >= maxOps) {
                    break;
                }
                next = queue.poll();
            }
            if (!group.isEmpty()) {
                try {
                    commitGroup(group);
                } catch (Throwable t) {
                    // An Error or a bug: fail the group rather than leave futures hanging or kill the writer.
                    LOG.error("SQLite writer failed unexpectedly", t);
                    for (Request<?> r : group) {
                        r.failure = new StoreException("SQLite writer failed unexpectedly: " + t, t);
                    }
                    transactions.rollbackQuietly(cache.connection());
                }
                completeAll(group);
            }
            if (stop) {
                return;
            }
            if (purgeIntervalNanos > 0 && System.nanoTime() - lastPurge >= purgeIntervalNanos) {
                purgeInBackground();
            }
        }
    }

    /** Items deleted by purges so far. */
    long purged() {
        return purged.get();
    }

    /** A request that deletes up to {@code perTable} expired items of every store. */
    Request<Long> purgeRequest(int perTable) {
        return new Request<>(1, () -> "purge expired items", null, (w, now) -> w.purge(now, perTable));
    }

    /** The periodic purge: a bounded amount of work, its own transaction, failures only logged. */
    private void purgeInBackground() {
        lastPurge = System.nanoTime();
        Request<Long> purge = purgeRequest(PURGE_BATCH);
        try {
            commitGroup(List.of(purge));
        } catch (RuntimeException e) {
            LOG.warn("Purging expired items failed unexpectedly", e);
            transactions.rollbackQuietly(cache.connection());
            return;
        }
        if (purge.failure != null) {
            LOG.debug("Purging expired items failed; trying again in the next interval", purge.failure);
        } else if (purgeIncomplete) {
            // More may be waiting: run again after the next group or poll instead of a full interval.
            lastPurge -= purgeIntervalNanos;
        }
    }


    private long purge(Instant now, int perTable) throws SQLException {
        long deleted = 0;
        boolean incomplete = false;
        for (String table : Schema.tables(cache.connection())) {
            PreparedStatement ps = cache.get(Sql.purgeExpired(table));
            ps.setLong(1, now.getEpochSecond());
            ps.setInt(2, perTable);
            int n = ps.executeUpdate();
            deleted += n;
            incomplete |= n >= perTable;
        }
        purgeIncomplete = incomplete;
        purged.addAndGet(deleted);
        if (deleted > 0) {
            LOG.debug("Purged {} expired items", deleted);
        }
        return deleted;
    }

    private void commitGroup(List<Request<?>> group) {
        try {
            transactions.beginImmediate(cache.connection(), cache);
        } catch (SQLException e) {
            for (Request<?> r : group) {
                // One exception per caller: callers may add suppressed exceptions or rethrow.
                r.failure = errors.map(r.what() + " (starting the write transaction)", e);
            }
            return;
        }
        if (group.size() == 1) {
            commitAlone(group.get(0));
            return;
        }
        boolean lost = false;
        for (Request<?> r : group) {
            if (lost) {
                r.failure = new UnavailableException("SQLite rolled back the transaction this write was queued in, "
                        + "before it ran; nothing was written; retry", null);
                continue;
            }
            lost = !runInSavepoint(r);
            if (lost) {
                for (Request<?> earlier : group) {
                    if (earlier == r) {
                        break;
                    }
                    if (earlier.failure == null) {
                        earlier.result = null;
                        earlier.failure = new UnavailableException("SQLite rolled back the transaction this write was "
                                + "committed in (after a failure of another write in it); nothing was written; retry",
                                r.failure);
                    }
                }
            }
        }
        if (lost) {
            transactions.rollbackQuietly(cache.connection());
            return;
        }
        commit(group);
    }

    /** A group of one needs no savepoint: if the request fails, the whole transaction is rolled back. */
    private <T> void commitAlone(Request<T> r) {
        try {
            r.result = r.op.apply(this, clock.instant());
        } catch (StoreException e) {
            r.failure = e;
        } catch (SQLException e) {
            r.failure = errors.map(r.what(), e);
        } catch (RuntimeException e) {
            r.failure = new StoreException("SQLite could not " + r.what() + ": " + e, e);
        }
        if (r.failure != null) {
            r.result = null;
            transactions.rollbackQuietly(cache.connection());
            return;
        }
        commit(List.of(r));
    }

    private void commit(List<? extends Request<?>> group) {
        try {
            cache.execute("COMMIT");
            commits.incrementAndGet();
            committedRequests.addAndGet(group.stream().filter(r -> r.failure == null).count());
        } catch (SQLException e) {
            LOG.warn("COMMIT of {} writes failed", group.size(), e);
            for (Request<?> r : group) {
                if (r.failure == null) {
                    r.result = null;
                    r.failure = errors.mapCommit(r.what(), r.key, e);
                }
            }
            transactions.rollbackQuietly(cache.connection());
        }
    }

    /** Runs one request in its savepoint. @return false if SQLite lost the whole transaction */
    private <T> boolean runInSavepoint(Request<T> r) {
        try {
            cache.execute("SAVEPOINT op");
        } catch (SQLException e) {
            r.failure = errors.map(r.what(), e);
            return false;
        }
        try {
            r.result = r.op.apply(this, clock.instant());
            cache.execute("RELEASE op");
            return true;
        } catch (StoreException e) {
            r.failure = e;
        } catch (SQLException e) {
            r.failure = errors.map(r.what(), e);
        } catch (RuntimeException e) {
            r.failure = new StoreException("SQLite could not " + r.what() + ": " + e, e);
        }
        r.result = null;
        try {
            cache.execute("ROLLBACK TO op");
            cache.execute("RELEASE op");
            return true;
        } catch (SQLException e) {
            LOG.warn("SQLite lost the group transaction after a failed write ({})", r.what(), e);
            return false;
        }
    }

    private void completeAll(List<Request<?>> group) {
        List<Request<?>> done = List.copyOf(group);
        try {
            completions.execute(() -> done.forEach(Request::complete));
        } catch (RejectedExecutionException e) {
            LOG.debug("Completion executor is shut down; completing on the writer thread");
            done.forEach(Request::complete);
        }
    }

    // --- operations, called by requests inside the transaction ---

    /** The version of the unexpired item at {@code key}, or null. */
    Long liveVersion(String table, Key key, Instant now) throws SQLException {
        PreparedStatement ps = cache.get(Sql.TableSql.of(table).selectState());
        ps.setString(1, key.pk());
        ps.setString(2, key.sk());
        try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return null;
            }
            long version = rs.getLong(1);
            long expiresAt = rs.getLong(2);
            boolean expires = !rs.wasNull();
            return expires && now.getEpochSecond() >= expiresAt ? null : version;
        }
    }

    long put(WriteOp.Put put, Instant now, int index) throws SQLException {
        Long current = liveVersion(put.table(), put.key(), now);
        check(put, current, index);
        return write(put, current);
    }

    private long write(WriteOp.Put put, Long current) throws SQLException {
        long version = current == null ? 1 : current + 1;
        PreparedStatement ps = cache.get(Sql.TableSql.of(put.table()).upsert());
        ps.setString(1, put.key().pk());
        ps.setString(2, put.key().sk());
        ps.setLong(3, version);
        bindExpiry(ps, 4, put);
        ps.setBytes(5, put.payload());
        ps.executeUpdate();
        return version;
    }

    /**
     * A batch put: one statement that computes the version itself, instead of a read of the
     * current version and then the upsert (a batch does not report versions).
     */
    private void batchWrite(WriteOp.Put put, Instant now) throws SQLException {
        PreparedStatement ps = cache.get(Sql.TableSql.of(put.table()).batchUpsert());
        ps.setString(1, put.key().pk());
        ps.setString(2, put.key().sk());
        bindExpiry(ps, 3, put);
        ps.setBytes(4, put.payload());
        ps.setLong(5, now.getEpochSecond());
        ps.executeUpdate();
    }

    /** Binds a put's expiry (epoch seconds) or NULL for none. */
    private static void bindExpiry(PreparedStatement ps, int index, WriteOp.Put put) throws SQLException {
        if (put.expiresAt() == null) {
            ps.setNull(index, Types.INTEGER);
        } else {
            ps.setLong(index, put.expiresAt().getEpochSecond());
        }
    }

    boolean delete(WriteOp.Delete delete, Instant now, int index) throws SQLException {
        Long current = liveVersion(delete.table(), delete.key(), now);
        check(delete, current, index);
        remove(delete.table(), delete.key());
        return current != null;
    }

    private void remove(String table, Key key) throws SQLException {
        PreparedStatement ps = cache.get(Sql.TableSql.of(table).delete());
        ps.setString(1, key.pk());
        ps.setString(2, key.sk());
        ps.executeUpdate();
    }

    /** Checks every condition first, then applies: all or nothing (the savepoint undoes a partial failure). */
    List<Long> transact(List<WriteOp> ops, Instant now) throws SQLException {
        List<Long> currents = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            WriteOp op = ops.get(i);
            Long current = liveVersion(op.table(), op.key(), now);
            check(op, current, i);
            currents.add(current);
        }
        List<Long> versions = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            WriteOp op = ops.get(i);
            if (op instanceof WriteOp.Put put) {
                versions.add(write(put, currents.get(i)));
            } else {
                if (op instanceof WriteOp.Delete) {
                    remove(op.table(), op.key());
                }
                versions.add(0L);
            }
        }
        return versions;
    }

    /** Unconditional puts and deletes. */
    void batch(List<WriteOp> writes, Instant now) throws SQLException {
        for (WriteOp op : writes) {
            if (op instanceof WriteOp.Put put) {
                batchWrite(put, now);
            } else if (op instanceof WriteOp.Delete) {
                remove(op.table(), op.key());
            } else {
                throw new IllegalArgumentException("a batch holds puts and deletes only, not " + op);
            }
        }
    }

    /** Creates the FTS5 index of a store, kept by triggers, and indexes its existing text items. */
    void createSearchIndex(String name) throws SQLException {
        createTable(name);
        boolean exists;
        try (PreparedStatement ps = cache.connection().prepareStatement(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?")) {
            ps.setString(1, Fts.ftsTableName(name));
            try (ResultSet rs = ps.executeQuery()) {
                exists = rs.next() && rs.getLong(1) > 0;
            }
        }
        for (String sql : Fts.create(name)) {
            Connections.exec(cache.connection(), sql);
        }
        if (!exists) {
            Connections.exec(cache.connection(), Fts.backfill(name));
        }
    }

    void createTable(String name) throws SQLException {
        cache.execute(Sql.createItemTable(name));
        cache.execute(Sql.createExpiryIndex(name));
        Schema.register(cache.connection(), name, clock);
    }

    private static void check(WriteOp op, Long current, int index) {
        Condition c = op.condition();
        boolean holds = c.holds(current == null ? 0 : current);
        if (!holds) {
            String state = current == null ? "no item" : "version " + current;
            throw new ConditionFailedException("condition " + c + " failed for " + op.key() + " in store '"
                    + op.table() + "': found " + state + (index >= 0 ? " (transaction operation " + index + ")" : ""),
                    op.key(), index, null);
        }
    }
}
