package dev.polystore.sqlite;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepared statements of one connection, reused across calls, least recently used closed
 * first. Used by one thread at a time, like its connection.
 */
final class StatementCache implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StatementCache.class);
    private static final int MAX = 256;

    private final Connection connection;
    private final LinkedHashMap<String, PreparedStatement> statements = new LinkedHashMap<>(64, 0.75f, true);

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
        PreparedStatement ps = statements.get(sql);
        if (ps != null) {
            if (clear) {
                ps.clearParameters();
            }
            return ps;
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

    /** Runs a statement that returns no rows (transaction control, DDL), through the cache. */
    void execute(String sql) throws SQLException {
        get(sql).execute();
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
        } catch (SQLException e) {
            LOG.debug("Closing a prepared statement failed", e);
        }
    }
}
