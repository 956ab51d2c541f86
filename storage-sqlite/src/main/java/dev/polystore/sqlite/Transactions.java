package dev.polystore.sqlite;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts write transactions with {@code BEGIN IMMEDIATE}, so the write lock is taken up front
 * (a deferred transaction that reads and then writes can fail with SQLITE_BUSY whatever the
 * timeout). SQLite's busy handler already waits up to {@code busy_timeout}; the few SQLITE_BUSY
 * answers it returns early (WAL recovery by another process, lock upgrades) are retried here
 * with a short backoff until the same timeout has passed, each retry's busy handler limited to
 * the time left, so the whole wait stays within the timeout (plus one backoff step).
 */
final class Transactions {
    private static final Logger LOG = LoggerFactory.getLogger(Transactions.class);

    private final Duration busyTimeout;

    Transactions(Duration busyTimeout) {
        this.busyTimeout = busyTimeout;
    }

    void beginImmediate(Connection c) throws SQLException {
        beginImmediate(c, null);
    }

    void beginImmediate(Connection c, StatementCache cache) throws SQLException {
        long deadline = System.nanoTime() + busyTimeout.toNanos();
        long backoffMicros = 500;
        int attempts = 0;
        try {
            while (true) {
                try {
                    if (cache != null) {
                        cache.execute("BEGIN IMMEDIATE");
                    } else {
                        Connections.exec(c, "BEGIN IMMEDIATE");
                    }
                    if (attempts > 0) {
                        LOG.debug("BEGIN IMMEDIATE succeeded after {} busy retries", attempts);
                    }
                    return;
                } catch (SQLException e) {
                    if (!SqliteErrors.isBusy(e) || System.nanoTime() - deadline >= 0) {
                        throw e;
                    }
                    attempts++;
                    LockSupport.parkNanos(backoffMicros * 1000);
                    backoffMicros = Math.min(backoffMicros * 2, 50_000);
                    // SQLite's busy handler waits on the next attempt too: only for what is left.
                    long leftMs = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                    Connections.exec(c, "PRAGMA busy_timeout = " + leftMs);
                }
            }
        } finally {
            if (attempts > 0) {
                restoreBusyTimeout(c);
            }
        }
    }

    private void restoreBusyTimeout(Connection c) {
        try {
            Connections.exec(c, "PRAGMA busy_timeout = " + busyTimeout.toMillis());
        } catch (SQLException e) {
            LOG.warn("Could not restore busy_timeout after retrying a busy database", e);
        }
    }

    /** Rolls back if a transaction is open; a failure here is logged, the original error matters. */
    void rollbackQuietly(Connection c) {
        rollback(c);
    }

    /**
     * Rolls back if a transaction is open.
     *
     * @return true if the connection is now outside any transaction (the rollback succeeded, or
     *         SQLite reports that no transaction was active because it had already rolled back on
     *         its own); false if the rollback failed otherwise, so a transaction may still be open
     */
    boolean rollback(Connection c) {
        try {
            Connections.exec(c, "ROLLBACK");
            return true;
        } catch (SQLException | RuntimeException e) {
            if (noTransactionActive(e)) {
                // SQLite already rolled back on its own (after SQLITE_FULL, SQLITE_IOERR, …).
                LOG.debug("ROLLBACK after a failed write transaction: {}", e.getMessage());
                return true;
            }
            LOG.warn("ROLLBACK after a failed transaction failed; the connection is cleaned up before its next use", e);
            return false;
        }
    }

    /** "cannot rollback - no transaction is active", or "cannot commit - …". */
    static boolean noTransactionActive(Throwable e) {
        String m = e.getMessage();
        return m != null && m.contains("no transaction is active");
    }

    /** "cannot start a transaction within a transaction": a transaction left open by an earlier failure. */
    static boolean alreadyInTransaction(Throwable e) {
        String m = e.getMessage();
        return m != null && m.contains("within a transaction");
    }
}
