package dev.polystore.postgres;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * The {@code javax.sql.DataSource} that {@code Storage.unwrap} hands out on PostgreSQL: each
 * {@link #getConnection()} opens a new pgjdbc connection to the backend's database with the
 * backend's settings (URL, user, password, TLS, timeouts), outside the backend's pool, and makes
 * its session read-only ({@code SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY}, which is
 * {@code default_transaction_read_only = on}) before handing it out. A write then fails in
 * PostgreSQL with SQLSTATE 25006 unless the caller turns read-only off on purpose, which this
 * does not prevent: it protects against mistakes, it is no permission boundary (use a role for
 * that).
 *
 * <p>Each connection is the caller's to close; none is pooled. After the storage closes,
 * {@code getConnection} fails. Thread-safe; {@link #setLoginTimeout} and {@link #setLogWriter}
 * are not supported (the backend's {@code connect_timeout_ms} applies).
 */
final class ReadOnlyDataSource implements DataSource {
    private final String url;
    private final Properties properties;
    private final BooleanSupplier closed;
    private final String describe;

    ReadOnlyDataSource(PostgresSettings settings, boolean withSynchronousCommit, BooleanSupplier closed) {
        this.url = settings.url();
        this.properties = PostgresBackend.driverProperties(settings, withSynchronousCommit);
        this.properties.setProperty("ApplicationName", properties.getProperty("ApplicationName", "polystore") + "-unwrap");
        this.closed = closed;
        this.describe = settings.describe();
    }

    @Override
    public Connection getConnection() throws SQLException {
        if (closed.getAsBoolean()) {
            throw new SQLException("the storage that handed out this data source is closed", "08003");
        }
        Connection c = new org.postgresql.Driver().connect(url, properties);
        if (c == null) {
            throw new SQLException("pgjdbc does not accept the URL of " + describe, "08001");
        }
        try (Statement s = c.createStatement()) {
            s.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
        } catch (SQLException | RuntimeException e) {
            try {
                c.close();
            } catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return c;
    }

    /** Always refused: connections use the storage's own credentials. */
    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("the data source of Storage.unwrap connects with the storage's own "
                + "user; open a DataSource of your own for another user");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
        throw new SQLFeatureNotSupportedException("the data source of Storage.unwrap logs through SLF4J (pgjdbc's "
                + "java.util.logging)");
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
        throw new SQLFeatureNotSupportedException("the data source of Storage.unwrap uses the storage's "
                + "connect_timeout_ms");
    }

    @Override
    public int getLoginTimeout() {
        return Integer.parseInt(properties.getProperty("loginTimeout", "0"));
    }

    @Override
    public Logger getParentLogger() {
        return Logger.getLogger("org.postgresql");
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("not a wrapper of " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }
}
