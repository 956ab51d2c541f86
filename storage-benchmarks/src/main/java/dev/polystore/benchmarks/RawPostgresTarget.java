package dev.polystore.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * Hand-written pgjdbc doing the same work as Polystore's PostgreSQL backend, on a HikariCP pool
 * configured as the backend configures its own (10 connections, the same driver properties:
 * {@code prepareThreshold = 5}, timeouts, keep-alive): the same table layout ({@code bytea} keys,
 * version, expiry, payload; primary key {@code (pk, sk)}), a prepared upsert computing the new
 * version ({@code INSERT … ON CONFLICT DO UPDATE SET version = version + 1 … RETURNING version}),
 * one autocommit transaction (one durable commit) per put, gets by primary key, prefix queries as
 * a key range with the expiry filter. It leaves out what Polystore adds: the write token, the
 * expiry-aware version rule, key validation.
 *
 * <p>{@code raw} runs every call on the caller's thread, as a synchronous driver does; {@code
 * raw-pool} hands each call to an executor of 10 threads (one per connection), what an
 * application fanning out calls would write. Bulk loads: {@link #load} upserts everything in
 * one transaction through one prepared statement in JDBC batches of 1,000; {@link #copy} is
 * {@code COPY … FROM STDIN (FORMAT binary)} into the (empty) table, the fastest way in.
 * Thread-safe.
 */
public final class RawPostgresTarget implements Target {
    static final int POOL_SIZE = 10;

    private final String table;
    private final HikariDataSource pool;
    private final ExecutorService executor;
    private final String select;
    private final String upsert;
    private final String query;

    /**
     * @param table the table to create (if absent) and use, e.g. {@code raw_items}
     * @param pooled whether calls run on an executor ({@code raw-pool}) rather than the caller's thread
     */
    public RawPostgresTarget(String url, String user, String table, boolean pooled) {
        this.table = table;
        HikariConfig h = new HikariConfig();
        h.setJdbcUrl(url);
        h.setUsername(user);
        h.setMaximumPoolSize(POOL_SIZE);
        h.setPoolName("raw-" + table);
        h.addDataSourceProperty("prepareThreshold", "5");
        h.addDataSourceProperty("connectTimeout", "5");
        h.addDataSourceProperty("socketTimeout", "10");
        h.addDataSourceProperty("tcpKeepAlive", "true");
        h.addDataSourceProperty("options", "-c synchronous_commit=on");
        h.setConnectionTimeout(5_000);
        this.pool = new HikariDataSource(h);
        this.executor = pooled ? Executors.newFixedThreadPool(POOL_SIZE, r -> {
            Thread t = new Thread(r, "raw-postgres");
            t.setDaemon(true);
            return t;
        }) : null;
        select = "SELECT version, expires_at, payload FROM " + table + " WHERE pk = ? AND sk = ?";
        upsert = "INSERT INTO " + table + " AS o (pk, sk, version, expires_at, payload) VALUES (?, ?, 1, NULL, ?) "
                + "ON CONFLICT (pk, sk) DO UPDATE SET version = o.version + 1, expires_at = NULL, payload = EXCLUDED.payload "
                + "RETURNING version";
        query = "SELECT sk, version, expires_at, payload FROM " + table
                + " WHERE pk = ? AND sk >= ? AND sk < ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY sk";
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + table + " (pk bytea NOT NULL, sk bytea NOT NULL, version bigint NOT NULL, "
                    + "expires_at bigint, payload bytea NOT NULL, PRIMARY KEY (pk, sk))");
            s.execute("CREATE INDEX IF NOT EXISTS " + table + "_exp ON " + table + " (expires_at) WHERE expires_at IS NOT NULL");
        } catch (SQLException e) {
            pool.close();
            throw new IllegalStateException("could not create " + table, e);
        }
    }

    private interface Call<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> CompletableFuture<T> call(Call<T> body) {
        Supplier<T> run = () -> {
            try (Connection c = pool.getConnection()) {
                return body.run(c);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        };
        if (executor != null) {
            return CompletableFuture.supplyAsync(run, executor);
        }
        try {
            return CompletableFuture.completedFuture(run.get());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public CompletableFuture<byte[]> get(String pk, String sk) {
        return call(c -> {
            try (PreparedStatement ps = c.prepareStatement(select)) {
                ps.setBytes(1, utf8(pk));
                ps.setBytes(2, utf8(sk));
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return null;
                    }
                    rs.getLong(1);
                    long expires = rs.getLong(2);
                    boolean live = rs.wasNull() || expires > System.currentTimeMillis() / 1000;
                    byte[] payload = rs.getBytes(3);
                    return live ? payload : null;
                }
            }
        });
    }

    @Override
    public CompletableFuture<Long> put(String pk, String sk, byte[] payload) {
        return call(c -> {
            try (PreparedStatement ps = c.prepareStatement(upsert)) {
                ps.setBytes(1, utf8(pk));
                ps.setBytes(2, utf8(sk));
                ps.setBytes(3, payload);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    @Override
    public CompletableFuture<Long> query(String pk, String prefix) {
        return call(c -> {
            try (PreparedStatement ps = c.prepareStatement(query)) {
                ps.setBytes(1, utf8(pk));
                ps.setBytes(2, utf8(prefix));
                ps.setBytes(3, utf8(RawSqliteTarget.upperBound(prefix)));
                ps.setLong(4, System.currentTimeMillis() / 1000);
                long bytes = 0;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rs.getBytes(1);
                        rs.getLong(2);
                        rs.getLong(3);
                        bytes += rs.getBytes(4).length;
                    }
                }
                return bytes;
            }
        });
    }

    /** Bulk load: every item upserted in one transaction, one prepared statement, JDBC batches of 1,000. */
    @Override
    public CompletableFuture<Void> load(List<Entry> items) {
        String plain = upsert.replace(" RETURNING version", "");
        return call(c -> {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(plain)) {
                int n = 0;
                for (Entry e : items) {
                    ps.setBytes(1, utf8(e.pk()));
                    ps.setBytes(2, utf8(e.sk()));
                    ps.setBytes(3, e.payload());
                    ps.addBatch();
                    if (++n % 1000 == 0) {
                        ps.executeBatch();
                    }
                }
                ps.executeBatch();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
            return null;
        });
    }

    /** Bulk load with {@code COPY … FROM STDIN (FORMAT binary)} into the empty table, one transaction. */
    public CompletableFuture<Void> copy(List<Entry> items) {
        return call(c -> {
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            try {
                copy.copyIn("COPY " + table + " (pk, sk, version, expires_at, payload) FROM STDIN (FORMAT binary)",
                        new java.io.ByteArrayInputStream(binaryCopy(items)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return null;
        });
    }

    /** PostgreSQL's binary COPY format: header, one tuple per item (5 fields), trailer. */
    static byte[] binaryCopy(List<Entry> items) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(items.size() * (Payloads.SIZE + 64));
            DataOutputStream out = new DataOutputStream(bytes);
            out.write(new byte[] {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0});
            out.writeInt(0);
            out.writeInt(0);
            for (Entry e : items) {
                out.writeShort(5);
                byte[] pk = utf8(e.pk());
                byte[] sk = utf8(e.sk());
                out.writeInt(pk.length);
                out.write(pk);
                out.writeInt(sk.length);
                out.write(sk);
                out.writeInt(8);
                out.writeLong(1);
                out.writeInt(-1);
                out.writeInt(e.payload().length);
                out.write(e.payload());
            }
            out.writeShort(-1);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Empties the table (between bulk-load shots). */
    public void truncate() {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("TRUNCATE " + table);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        if (executor != null) {
            executor.shutdown();
        }
        pool.close();
    }
}
