package dev.polystore.benchmarks;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.sqlite.SQLiteConfig;

/**
 * Hand-written sqlite-jdbc doing the same work as Polystore's SQLite backend: the same pragmas
 * (read back, as the backend does), the same table layout (rowid table, {@code PRIMARY KEY(pk, sk)},
 * version, expiry, payload last, the partial expiry index), versioned upserts, prefix queries as
 * key ranges, and one {@code synchronous = FULL} commit per acknowledged write unless a caller
 * asks for one transaction. One connection, used on the calling thread — what an application
 * without Polystore would write. Thread-safe by a lock; meant for one thread.
 */
public final class RawSqliteTarget implements Target {
    /** Same name as Polystore's table for store {@code items}, so the files look alike. */
    private static final String TABLE = "store_items";

    private static final String SELECT = "SELECT version, expires_at, payload FROM " + TABLE + " WHERE pk = ? AND sk = ?";
    private static final String UPSERT = "INSERT INTO " + TABLE + " (pk, sk, version, expires_at, payload) "
            + "VALUES (?, ?, 1, NULL, ?) ON CONFLICT (pk, sk) DO UPDATE SET version = version + 1, "
            + "expires_at = NULL, payload = excluded.payload RETURNING version";
    private static final String QUERY = "SELECT sk, version, expires_at, payload FROM " + TABLE
            + " WHERE pk = ? AND sk >= ? AND sk < ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY sk ASC";

    private final Connection connection;
    private final PreparedStatement select;
    private final PreparedStatement upsert;
    private final PreparedStatement query;

    public RawSqliteTarget(Path file) {
        try {
            SQLiteConfig config = new SQLiteConfig();
            config.setBusyTimeout(5000);
            connection = config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
            // storage-sqlite's pragmas with its defaults (docs/sqlite.md, Connections.java).
            exec("PRAGMA page_size = 4096");
            exec("PRAGMA encoding = 'UTF-8'");
            expect("PRAGMA journal_mode = WAL", "wal");
            exec("PRAGMA synchronous = FULL");
            exec("PRAGMA busy_timeout = 5000");
            exec("PRAGMA foreign_keys = ON");
            exec("PRAGMA cache_size = -8192");
            exec("PRAGMA query_only = OFF");
            exec("PRAGMA journal_size_limit = " + (64L * 1024 * 1024));
            expect("PRAGMA synchronous", "2");
            expect("PRAGMA journal_mode", "wal");
            expect("PRAGMA cache_size", "-8192");
            expect("PRAGMA busy_timeout", "5000");
            exec("CREATE TABLE IF NOT EXISTS " + TABLE + " (pk TEXT NOT NULL, sk TEXT NOT NULL, "
                    + "version INTEGER NOT NULL, expires_at INTEGER, payload BLOB NOT NULL, PRIMARY KEY (pk, sk))");
            exec("CREATE INDEX IF NOT EXISTS " + TABLE + "_expiry ON " + TABLE
                    + " (expires_at) WHERE expires_at IS NOT NULL");
            select = connection.prepareStatement(SELECT);
            upsert = connection.prepareStatement(UPSERT);
            query = connection.prepareStatement(QUERY);
        } catch (SQLException e) {
            throw new IllegalStateException("could not open " + file, e);
        }
    }

    @Override
    public synchronized CompletableFuture<byte[]> get(String pk, String sk) {
        try {
            select.setString(1, pk);
            select.setString(2, sk);
            try (ResultSet rs = select.executeQuery()) {
                if (!rs.next()) {
                    return CompletableFuture.completedFuture(null);
                }
                rs.getLong(1);
                long expiresAt = rs.getLong(2);
                boolean expires = !rs.wasNull();
                byte[] payload = rs.getBytes(3);
                boolean live = !expires || expiresAt > System.currentTimeMillis() / 1000;
                return CompletableFuture.completedFuture(live ? payload : null);
            }
        } catch (SQLException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public synchronized CompletableFuture<Long> put(String pk, String sk, byte[] payload) {
        try {
            return CompletableFuture.completedFuture(upsert(pk, sk, payload));
        } catch (SQLException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private long upsert(String pk, String sk, byte[] payload) throws SQLException {
        upsert.setString(1, pk);
        upsert.setString(2, sk);
        upsert.setBytes(3, payload);
        try (ResultSet rs = upsert.executeQuery()) {
            if (!rs.next()) {
                throw new SQLException("upsert returned no version");
            }
            return rs.getLong(1);
        }
    }

    @Override
    public synchronized CompletableFuture<Long> query(String pk, String prefix) {
        try {
            query.setString(1, pk);
            query.setString(2, prefix);
            query.setString(3, upperBound(prefix));
            query.setLong(4, System.currentTimeMillis() / 1000);
            long bytes = 0;
            try (ResultSet rs = query.executeQuery()) {
                while (rs.next()) {
                    rs.getString(1);
                    rs.getLong(2);
                    rs.getLong(3);
                    bytes += rs.getBytes(4).length;
                }
            }
            return CompletableFuture.completedFuture(bytes);
        } catch (SQLException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Bulk load: every item in one transaction (one commit, one fsync). */
    @Override
    public synchronized CompletableFuture<Void> load(List<Entry> items) {
        // A loader reports no versions: the same upsert without RETURNING, run with executeUpdate.
        try (PreparedStatement load = connection.prepareStatement(UPSERT.replace(" RETURNING version", ""))) {
            exec("BEGIN IMMEDIATE");
            boolean ok = false;
            try {
                for (Entry e : items) {
                    load.setString(1, e.pk());
                    load.setString(2, e.sk());
                    load.setBytes(3, e.payload());
                    load.executeUpdate();
                }
                ok = true;
            } finally {
                exec(ok ? "COMMIT" : "ROLLBACK");
            }
            return CompletableFuture.completedFuture(null);
        } catch (SQLException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Writes {@code items}: in one transaction, or each in its own autocommit transaction (one
     * durable commit per item, as a loop of independent callers would).
     */
    public synchronized CompletableFuture<Void> putAll(List<Entry> items, boolean oneTransaction) {
        try {
            if (oneTransaction) {
                exec("BEGIN IMMEDIATE");
            }
            boolean ok = false;
            try {
                for (Entry e : items) {
                    upsert(e.pk(), e.sk(), e.payload());
                }
                ok = true;
            } finally {
                if (oneTransaction) {
                    exec(ok ? "COMMIT" : "ROLLBACK");
                }
            }
            return CompletableFuture.completedFuture(null);
        } catch (SQLException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            select.close();
            upsert.close();
            query.close();
            connection.close();
        } catch (SQLException e) {
            throw new IllegalStateException("could not close", e);
        }
    }

    /** The smallest string above every string starting with {@code prefix} (last code point + 1). */
    static String upperBound(String prefix) {
        int[] cps = prefix.codePoints().toArray();
        int last = cps[cps.length - 1];
        if (last == Character.MAX_CODE_POINT) {
            throw new IllegalArgumentException("the benchmarks never query such a prefix");
        }
        cps[cps.length - 1] = last + 1 == Character.MIN_SURROGATE ? Character.MAX_SURROGATE + 1 : last + 1;
        return new String(cps, 0, cps.length);
    }

    private void exec(String sql) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute(sql);
        }
    }

    private void expect(String sql, String expected) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            String actual = rs.next() ? rs.getString(1) : null;
            if (actual == null || !actual.toLowerCase(Locale.ROOT).equals(expected)) {
                throw new IllegalStateException(sql + " gave " + actual + ", expected " + expected);
            }
        }
    }

}
