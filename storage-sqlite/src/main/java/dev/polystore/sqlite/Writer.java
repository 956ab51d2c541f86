package dev.polystore.sqlite;

import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.spi.WriteOp;
import dev.polystore.spi.ImportMode;
import dev.polystore.spi.ImportOutcome;
import dev.polystore.spi.RawItem;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
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
 *
 * <p><b>After a failure</b> the connection is back in a clean state before the next group, and
 * each request is told exactly what is known:
 * <ul>
 *   <li>A request whose own statement fails is rolled back to its savepoint and fails alone. If
 *       SQLite rolled back the whole transaction instead (it does for {@code SQLITE_FULL} on a
 *       one-row write, {@code SQLITE_IOERR}, {@code SQLITE_NOMEM}), that request fails ("nothing
 *       was written") and the others of the group run once more, in a fresh transaction, in the
 *       same order: they were not written, so running them again is safe, and they do not fail
 *       for another caller's write. If that transaction is lost too, they fail with
 *       {@link UnavailableException} (nothing written; retry).</li>
 *   <li>Whenever a group's transaction does not commit, a request of it that failed its
 *       condition gets {@link UnavailableException} instead of {@link ConditionFailedException}:
 *       its condition may have been checked against writes of the group that are now gone, and
 *       it wrote nothing.</li>
 *   <li>A failed {@code COMMIT} is classified by {@link SqliteErrors#mapCommit}.</li>
 *   <li>Cached statements that may have been finalized by the driver are evicted
 *       ({@link StatementCache}); a {@code ROLLBACK} that fails marks the connection dirty, and
 *       the next group rolls back again before {@code BEGIN}.</li>
 *   <li>An unexpected throwable (an {@link Error}, or a bug) fails the undecided requests of the
 *       group ({@link OutcomeUnknownException} if it hit the {@code COMMIT}, else
 *       {@link UnavailableException}), forgets every cached statement and rolls back; the
 *       writer goes on. Only if cleaning up throws again does the writer stop: every queued
 *       and later write then fails at once with {@link UnavailableException} (close and reopen),
 *       and {@link #failure()} reports why (the backend's health turns unhealthy).</li>
 * </ul>
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
        /** Whether {@link #result} or {@link #failure} is final (committed, or failed for good). */
        boolean decided;

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

        void fail(StoreException e) {
            result = null;
            failure = e;
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
    /** Stores whose native index entries this writer has prepared: the purge removes their expired entries too. */
    private final java.util.Set<String> entryTables = java.util.concurrent.ConcurrentHashMap.newKeySet();
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
    private final AtomicLong retriedGroups = new AtomicLong();
    private final AtomicLong unexpectedErrors = new AtomicLong();
    /** The group being run (writer thread only), so that a fatal error can still fail it. */
    private List<Request<?>> current = List.of();
    /** Whether the COMMIT of the current transaction has been issued and has not returned. */
    private boolean committing;
    /** Why the thread stopped, if it stopped after an error it could not handle; then writes fail fast. */
    private volatile Throwable fatal;

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

    /**
     * Queues a request; the caller makes sure {@link #stop()} has not been called yet. If the
     * writer has stopped after a fatal error, the request fails at once.
     */
    <T> CompletableFuture<T> submit(Request<T> request) {
        Throwable stoppedBy = fatal;
        if (stoppedBy != null) {
            request.future.completeExceptionally(stopped(request, stoppedBy));
            return request.future;
        }
        queue.add(request);
        stoppedBy = fatal;
        // The thread may have stopped (and drained the queue) between the check and the add.
        if (stoppedBy != null && queue.remove(request)) {
            request.future.completeExceptionally(stopped(request, stoppedBy));
        }
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

    /** Groups whose transaction SQLite lost through one request, run again without it. */
    long retriedGroups() {
        return retriedGroups.get();
    }

    /** Unexpected throwables (errors, bugs) the writer recovered from. */
    long unexpectedErrors() {
        return unexpectedErrors.get();
    }

    /** Why the writer stopped taking writes, if it did (then the backend is unhealthy). */
    Optional<Throwable> failure() {
        return Optional.ofNullable(fatal);
    }

    StatementCache statements() {
        return cache;
    }

    private void run() {
        try {
            serve();
        } catch (Throwable t) {
            stopAfter(t);
        }
    }

    private void serve() {
        while (true) {
            Request<?> next = poll();
            if (next == null) {
                purgeInBackground();
                continue;
            }
            List<Request<?>> group = new ArrayList<>();
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
                current = group;
                try {
                    commitGroup(group);
                } catch (Throwable t) {
                    // An Error or a bug: fail the group rather than leave futures hanging or kill the writer.
                    recover(group, t);
                }
                completeAll(group);
                current = List.of();
            }
            if (stop) {
                return;
            }
            if (purgeIntervalNanos > 0 && System.nanoTime() - lastPurge >= purgeIntervalNanos) {
                purgeInBackground();
            }
        }
    }

    /** The next request, or null when the background purge is due. */
    private Request<?> poll() {
        while (true) {
            try {
                if (purgeIntervalNanos > 0) {
                    return queue.poll(Math.max(0, lastPurge + purgeIntervalNanos - System.nanoTime()),
                            TimeUnit.NANOSECONDS);
                }
                return queue.take();
            } catch (InterruptedException e) {
                // Nobody interrupts this thread on purpose; keep serving until stopped.
                LOG.debug("SQLite writer interrupted; continuing until stopped");
            }
        }
    }

    /**
     * After an unexpected throwable while running {@code group}: every request not yet decided
     * fails (outcome unknown if the throwable came out of the COMMIT, else not written), every
     * cached statement is forgotten (nothing is known about them) and the transaction is rolled
     * back. A throwable from this clean-up itself propagates and stops the writer.
     */
    private void recover(List<Request<?>> group, Throwable t) {
        unexpectedErrors.incrementAndGet();
        boolean inCommit = committing;
        LOG.error("SQLite writer failed unexpectedly{}; failing the {} writes of the group and going on",
                inCommit ? " while committing" : "", group.size(), t);
        for (Request<?> r : group) {
            if (r.decided) {
                continue;
            }
            if (r.failure == null && inCommit) {
                r.fail(new OutcomeUnknownException("SQLite failed unexpectedly while committing (" + r.what() + "): "
                        + t + "; the write may or may not be durable; read the item back", r.key, t));
            } else if (r.failure == null || (group.size() > 1 && r.failure instanceof ConditionFailedException)) {
                r.fail(new UnavailableException("SQLite failed unexpectedly before committing (" + r.what() + "): " + t
                        + "; the transaction was rolled back and nothing was written; retry", t));
            }
            r.decided = true;
        }
        committing = false;
        cache.discardAll();
        rollback();
    }

    /** The writer cannot go on: fails the group in hand, every queued request and every later one. */
    private void stopAfter(Throwable t) {
        fatal = t;
        List<Request<?>> failed = new ArrayList<>();
        for (Request<?> r : current) {
            if (!r.decided) {
                if (r.failure == null && committing) {
                    r.fail(new OutcomeUnknownException("SQLite failed fatally while committing (" + r.what() + "): " + t
                            + "; the write may or may not be durable; read the item back", r.key, t));
                } else if (r.failure == null || r.failure instanceof ConditionFailedException) {
                    r.fail(stopped(r, t));
                }
            }
            failed.add(r);
        }
        List<Request<?>> queued = new ArrayList<>();
        queue.drainTo(queued);
        for (Request<?> r : queued) {
            if (r != STOP) {
                r.fail(stopped(r, t));
                failed.add(r);
            }
        }
        try {
            LOG.error("SQLite writer stopped after an unexpected error it could not clean up after; {} writes failed, "
                    + "later writes fail at once; close and reopen the storage", failed.size(), t);
        } catch (Throwable ignored) {
            // Logging must not keep the futures from completing.
        }
        completeAll(failed);
    }

    private static UnavailableException stopped(Request<?> r, Throwable t) {
        return new UnavailableException("the SQLite writer stopped after an unexpected error (" + t + "), so it "
                + "could not " + r.what() + "; nothing was written; close and reopen the storage", t);
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
        current = List.of(purge);
        try {
            commitGroup(current);
        } catch (Throwable t) {
            recover(current, t);
        }
        current = List.of();
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
        for (String table : entryTables) {
            // Native index entries of expired items (never returned; removed like the items, not counted as items).
            PreparedStatement ps = cache.get(NativeIndexes.purgeExpired(table));
            ps.setLong(1, now.getEpochSecond());
            ps.setInt(2, perTable);
            incomplete |= ps.executeUpdate() >= perTable;
        }
        purgeIncomplete = incomplete;
        purged.addAndGet(deleted);
        if (deleted > 0) {
            LOG.debug("Purged {} expired items", deleted);
        }
        return deleted;
    }

    /** Runs and commits {@code group}; if SQLite loses the transaction through one request, runs the others again once. */
    private void commitGroup(List<Request<?>> group) {
        List<Request<?>> again = attempt(group, true);
        if (!again.isEmpty()) {
            retriedGroups.incrementAndGet();
            attempt(again, false);
        }
    }

    /**
     * Runs {@code group} in one transaction and commits it, deciding every request.
     *
     * @param mayRetry whether requests rolled back through no fault of their own may run again
     * @return the requests to run again in a fresh transaction (then undecided); empty unless
     *         {@code mayRetry} and SQLite lost the transaction through one request
     */
    private List<Request<?>> attempt(List<Request<?>> group, boolean mayRetry) {
        for (Request<?> r : group) {
            r.result = null;
            r.failure = null;
            r.decided = false;
        }
        if (!begin(group)) {
            return List.of();
        }
        if (group.size() == 1) {
            commitAlone(group.get(0));
            return List.of();
        }
        int culprit = -1;
        for (int i = 0; i < group.size(); i++) {
            if (!runInSavepoint(group.get(i))) {
                culprit = i;
                break;
            }
        }
        if (culprit < 0) {
            commit(group);
            return List.of();
        }
        // SQLite lost the whole transaction: nothing of the group was written.
        Request<?> lost = group.get(culprit);
        rollback();
        // A failed condition is no fault of its own (the ROLLBACK TO after it failed): it runs again too.
        boolean lostIsInnocent = lost.failure instanceof ConditionFailedException;
        List<Request<?>> others = new ArrayList<>(group.size());
        for (Request<?> r : group) {
            if (r != lost || lostIsInnocent) {
                others.add(r);
            }
        }
        if (lostIsInnocent && !mayRetry) {
            lost.fail(new UnavailableException("SQLite rolled back the transaction this write was checked in, so its "
                    + "failed condition may have been checked against writes that were not committed; it wrote "
                    + "nothing; retry", lost.failure));
        }
        lost.decided = true;
        if (mayRetry) {
            // Never a key in a log line: the kind of the failure only.
            LOG.debug("SQLite lost the transaction of a group of {} writes after a failure of one ({}); running the "
                    + "other {} again", group.size(), lost.failure.getClass().getSimpleName(), others.size());
            return others;
        }
        for (int i = 0; i < group.size(); i++) {
            Request<?> r = group.get(i);
            if (r == lost) {
                continue;
            }
            if (r.failure == null || r.failure instanceof ConditionFailedException) {
                r.fail(new UnavailableException(i < culprit
                        ? "SQLite rolled back the transaction this write was in (after a failure of another write in it, "
                                + "twice); nothing was written; retry"
                        : "SQLite rolled back the transaction this write was queued in (after a failure of another "
                                + "write in it, twice), before it ran; nothing was written; retry", lost.failure));
            }
            r.decided = true;
        }
        return List.of();
    }

    /**
     * {@code BEGIN IMMEDIATE}, first rolling back a transaction an earlier failure may have left
     * open. @return false if the group failed (then every request of it is decided)
     */
    private boolean begin(List<Request<?>> group) {
        if (cache.dirty() && !rollback()) {
            for (Request<?> r : group) {
                r.fail(new UnavailableException("SQLite could not " + r.what() + ": the writer connection could not "
                        + "roll back a transaction an earlier failure left open (see the log); nothing was written; "
                        + "retry", null));
                r.decided = true;
            }
            return false;
        }
        SQLException failure;
        try {
            transactions.beginImmediate(cache.connection(), cache);
            return true;
        } catch (SQLException e) {
            failure = e;
        }
        if (Transactions.alreadyInTransaction(failure) && rollback()) {
            // A transaction left open by an earlier failure that was not noticed: rolled back now.
            LOG.warn("The SQLite writer connection was still in a transaction; rolled it back", failure);
            try {
                transactions.beginImmediate(cache.connection(), cache);
                return true;
            } catch (SQLException e) {
                failure = e;
            }
        }
        for (Request<?> r : group) {
            // One exception per caller: callers may add suppressed exceptions or rethrow.
            r.fail(errors.map(r.what() + " (starting the write transaction)", failure));
            r.decided = true;
        }
        return false;
    }

    /** Rolls the writer's transaction back. @return whether the connection is known to be outside any transaction */
    private boolean rollback() {
        boolean clean = transactions.rollback(cache.connection());
        if (clean) {
            cache.markClean();
        } else {
            cache.markDirty();
        }
        return clean;
    }

    /** A group of one needs no savepoint: if the request fails, the whole transaction is rolled back. */
    private <T> void commitAlone(Request<T> r) {
        cache.startUnit();
        try {
            r.result = r.op.apply(this, clock.instant());
        } catch (StoreException e) {
            r.failure = e;
        } catch (SQLException e) {
            cache.discardUsed();
            r.failure = errors.map(r.what(), e);
        } catch (RuntimeException e) {
            cache.discardUsed();
            r.failure = new StoreException("SQLite could not " + r.what() + ": " + e, e);
        }
        if (r.failure != null) {
            r.result = null;
            r.decided = true;
            rollback();
            return;
        }
        commit(List.of(r));
    }

    private void commit(List<? extends Request<?>> group) {
        committing = true;
        try {
            cache.execute("COMMIT");
        } catch (SQLException e) {
            committing = false;
            // One line per failed commit (a full disk fails every one); the stack trace at debug.
            LOG.warn("COMMIT of {} writes failed: {}", group.size(), e.toString());
            LOG.debug("COMMIT failure", e);
            for (Request<?> r : group) {
                if (r.failure == null) {
                    r.fail(errors.mapCommit(r.what(), r.key, e));
                } else if (group.size() > 1 && r.failure instanceof ConditionFailedException) {
                    r.fail(new UnavailableException("SQLite could not commit the transaction this write was checked in ("
                            + e.getMessage() + "): its condition may have been checked against writes that were not "
                            + "committed; it wrote nothing; retry", e));
                }
                r.decided = true;
            }
            rollback();
            return;
        }
        committing = false;
        long ok = 0;
        for (Request<?> r : group) {
            r.decided = true;
            if (r.failure == null) {
                ok++;
            }
        }
        commits.incrementAndGet();
        committedRequests.addAndGet(ok);
    }

    /** Runs one request in its savepoint. @return false if SQLite lost the whole transaction */
    private <T> boolean runInSavepoint(Request<T> r) {
        cache.startUnit();
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
            cache.discardUsed();
            r.failure = errors.map(r.what(), e);
        } catch (RuntimeException e) {
            cache.discardUsed();
            r.failure = new StoreException("SQLite could not " + r.what() + ": " + e, e);
        }
        r.result = null;
        try {
            cache.execute("ROLLBACK TO op");
            cache.execute("RELEASE op");
            return true;
        } catch (SQLException e) {
            LOG.debug("SQLite lost the group transaction after a failed write: {}", e.getMessage());
            return false;
        }
    }

    /** Completes the futures on the completion executor, or here if it takes no more work (closed, or no thread). */
    private void completeAll(List<Request<?>> group) {
        List<Request<?>> done = List.copyOf(group);
        try {
            completions.execute(() -> done.forEach(Request::complete));
        } catch (Throwable e) {
            LOG.debug("Completion executor refused the completions ({}); completing on the writer thread", e.toString());
            for (Request<?> r : done) {
                r.complete();
            }
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

    /** {@link #transact} and the native index entries of its items, in the same transaction ({@link NativeIndexes}). */
    List<Long> transact(List<WriteOp> ops, List<dev.polystore.spi.IndexAccelerator.EntryWrite> entries, Instant now)
            throws SQLException {
        List<Long> versions = transact(ops, now);
        NativeIndexes.apply(cache, ops.size(), entries, now);
        return versions;
    }

    /** Creates the native entry table of a store (and the store's table). @return the id of its place */
    String prepareEntries(String name) throws SQLException {
        createTable(name);
        String place = NativeIndexes.prepare(cache, name);
        entryTables.add(name);
        return place;
    }

    /** Imports items as given (version, expiry); see {@code StorageBackend.importItems}. */
    List<ImportOutcome> importItems(String table, List<RawItem> items, ImportMode mode, Instant now) throws SQLException {
        PreparedStatement ps = cache.get(mode == ImportMode.IF_NEWER ? Sql.importIfNewer(table)
                : Sql.TableSql.of(table).upsert());
        List<ImportOutcome> outcomes = new ArrayList<>(items.size());
        for (RawItem item : items) {
            if (item.expiredAt(now)) {
                outcomes.add(ImportOutcome.expired());
                continue;
            }
            ps.setString(1, item.key().pk());
            ps.setString(2, item.key().sk());
            ps.setLong(3, item.version());
            if (item.expiresAt() == null) {
                ps.setNull(4, Types.INTEGER);
            } else {
                ps.setLong(4, item.expiresAt().getEpochSecond());
            }
            ps.setBytes(5, item.payload());
            if (mode == ImportMode.IF_NEWER) {
                ps.setLong(6, now.getEpochSecond());
            }
            if (ps.executeUpdate() > 0) {
                outcomes.add(ImportOutcome.written());
            } else {
                Long kept = liveVersion(table, item.key(), now);
                outcomes.add(ImportOutcome.kept(kept == null ? item.version() : kept));
            }
        }
        return outcomes;
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
