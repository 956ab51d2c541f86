package dev.polystore.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepared statements of one connection, reused across calls, least recently used closed
 * first. Used by one thread at a time, like its connection.
 *
 * <p><b>After a failure.</b> sqlite-jdbc keeps a statement usable after {@code SQLITE_BUSY},
 * {@code SQLITE_LOCKED}, {@code SQLITE_CONSTRAINT} and {@code SQLITE_MISUSE} only; after any
 * other error ({@code SQLITE_FULL}, {@code SQLITE_IOERR}, {@code SQLITE_NOMEM},
 * {@code SQLITE_CORRUPT}, {@code SQLITE_TOOBIG}, a plain {@code SQLITE_ERROR}, …) it finalizes
 * it, yet {@link PreparedStatement#isClosed()} still answers false and every later use fails
 * with "statement is not executing". So a cached statement is never trusted after a failure:
 * {@link #execute} evicts its statement when it throws, and a caller that ran statements it got
 * from {@link #get} calls {@link #discardUsed()} when its unit of work failed, which closes and
 * forgets every statement handed out since {@link #startUnit()} (the failed one is among them;
 * re-preparing the others costs microseconds, and failures are rare). A statement whose
 * {@code clearParameters()} fails is replaced at once.
 *
 * <p>The cache also remembers whether its connection may still be inside a transaction that a
 * failed {@code ROLLBACK} left open ({@link #markDirty()}), so that the next user cleans it up
 * before trusting the connection.
 */
final class StatementCache implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StatementCache.class);
    private static final int MAX = 256;

    private final Connection connection;
    private final LinkedHashMap<String, PreparedStatement> statements = new LinkedHashMap<>(64, 0.75f, true);
    /** SQL of the statements handed out since {@link #startUnit()}, consecutive repeats once. */
    private final List<String> used = new ArrayList<>();
    /** Whether a failed ROLLBACK may have left a transaction open on the connection. */
    private boolean dirty;
    private long evicted;

    StatementCache(Connection connection) {
        this.connection = connection;
    }

    Connection connection() {
        return connection;
    }

    PreparedStatement get(String sql) throws SQLException {
        return get(sql, true);
    }

    /**
     * The cached statement for {@code sql} without clearing its parameters, for a caller that
     * binds every parameter itself before each execution (the reads: one JNI call less per read).
     */
    PreparedStatement getBindingAll(String sql) throws SQLException {
        return get(sql, false);
    }

    private PreparedStatement get(String sql, boolean clear) throws SQLException {
        noteUse(sql);
        PreparedStatement ps = statements.get(sql);
        if (ps != null) {
            if (!clear) {
                return ps;
            }
            try {
                ps.clearParameters();
                return ps;
            } catch (SQLException e) {
                // A statement the driver finalized ("statement is not executing"): prepare it again.
                LOG.debug("Cached statement unusable ({}); preparing it again", e.getMessage());
                evict(sql);
            }
        }
        ps = connection.prepareStatement(sql);
        statements.put(sql, ps);
        if (statements.size() > MAX) {
            Iterator<Map.Entry<String, PreparedStatement>> eldest = statements.entrySet().iterator();
            closeQuietly(eldest.next().getValue());
            eldest.remove();
        }
        return ps;
    }

    private void noteUse(String sql) {
        int n = used.size();
        if (n == 0 || !used.get(n - 1).equals(sql)) {
            used.add(sql);
        }
    }

    /**
     * Runs a statement that returns no rows (transaction control, DDL), through the cache; if it
     * fails, its statement is evicted (the driver may have finalized it).
     */
    void execute(String sql) throws SQLException {
        PreparedStatement ps = get(sql);
        try {
            ps.execute();
        } catch (SQLException | RuntimeException | Error e) {
            evict(sql);
            throw e;
        }
    }

    /** Starts a unit of work: {@link #discardUsed()} then covers the statements handed out from now on. */
    void startUnit() {
        used.clear();
    }

    /** Closes and forgets every statement handed out since {@link #startUnit()}: call it when that work failed. */
    void discardUsed() {
        for (String sql : used) {
            evict(sql);
        }
        used.clear();
    }

    /** Closes and forgets every cached statement (after an unexpected error, when nothing is known). */
    void discardAll() {
        evicted += statements.size();
        statements.values().forEach(StatementCache::closeQuietly);
        statements.clear();
        used.clear();
    }

    private void evict(String sql) {
        PreparedStatement ps = statements.remove(sql);
        if (ps != null) {
            evicted++;
            closeQuietly(ps);
        }
    }

    /** Statements evicted after failures so far (for tests and health). */
    long evicted() {
        return evicted;
    }

    /** Whether {@code sql} has a cached statement (for tests). */
    boolean isCached(String sql) {
        return statements.containsKey(sql);
    }

    /** Records that a transaction may still be open on the connection (a ROLLBACK failed). */
    void markDirty() {
        dirty = true;
    }

    void markClean() {
        dirty = false;
    }

    boolean dirty() {
        return dirty;
    }

    @Override
    public void close() {
        statements.values().forEach(StatementCache::closeQuietly);
        statements.clear();
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.warn("Closing a SQLite connection failed", e);
        }
    }

    private static void closeQuietly(PreparedStatement ps) {
        try {
            ps.close();
        } catch (SQLException | RuntimeException e) {
            LOG.debug("Closing a prepared statement failed", e);
        }
    }
}
