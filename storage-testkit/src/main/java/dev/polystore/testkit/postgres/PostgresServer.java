package dev.polystore.testkit.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * A running PostgreSQL server that tests reach over TCP on loopback (or a mapped container
 * port), handed out by {@link EmbeddedPostgresExtension} or started as a {@link DedicatedPostgres}.
 * The superuser {@link #user()} may create databases; give each test class, or each test, names
 * of its own.
 *
 * <p>Thread-safe. Closed by whoever started it (the extension, at the end of the test run);
 * tests never close the shared one.
 */
public interface PostgresServer {
    /** Database names {@link #createDatabase} accepts. */
    Pattern DATABASE_NAME = Pattern.compile("[a-z][a-z0-9_]{0,62}");

    /** The host to connect to, e.g. {@code localhost}. */
    String host();

    /** The TCP port the server listens on. */
    int port();

    /** A superuser name ({@code postgres}). */
    String user();

    /** That user's password; empty where the server trusts loopback connections. */
    String password();

    /** How the server runs. */
    EmbeddedPostgresExtension.Mode mode();

    /** {@code jdbc:postgresql://host:port/database}, without credentials. */
    default String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host() + ":" + port() + "/" + database;
    }

    /** A new JDBC connection to {@code database} as {@link #user()}; the caller closes it. */
    default Connection connect(String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user());
        if (!password().isEmpty()) {
            p.setProperty("password", password());
        }
        p.setProperty("connectTimeout", "10");
        return DriverManager.getConnection(jdbcUrl(database), p);
    }

    /**
     * Creates {@code name} unless it exists, e.g. {@code createDatabase("icu_db", "TEMPLATE template0
     * ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'")}.
     *
     * @param name a name matching {@link #DATABASE_NAME}
     * @param options what follows {@code CREATE DATABASE name} (test code's own text; may be empty)
     * @return whether the database was created now
     */
    default boolean createDatabase(String name, String options) throws SQLException {
        if (!DATABASE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("database name \"" + name + "\" must match " + DATABASE_NAME);
        }
        try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
            try (var rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'")) {
                if (rs.next()) {
                    return false;
                }
            }
            try {
                s.execute("CREATE DATABASE \"" + name + "\" " + options);
                return true;
            } catch (SQLException e) {
                if ("42P04".equals(e.getSQLState())) { // created by another test in the meantime
                    return false;
                }
                throw e;
            }
        }
    }

    /** The server's {@code server_version}, e.g. {@code 17.6}. */
    default String serverVersion() throws SQLException {
        try (Connection c = connect("postgres"); Statement s = c.createStatement();
             var rs = s.executeQuery("SHOW server_version")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
