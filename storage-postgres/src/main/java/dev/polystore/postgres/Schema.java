package dev.polystore.postgres;

import dev.polystore.ConfigurationException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schema version of Polystore's tables in one schema and prefix, and its forward migrations.
 *
 * <p>The version lives in {@code <prefix>_schema} (one row); the item tables are listed in
 * {@code <prefix>_tables}, so that a later migration can reach every one of them. On open, one
 * transaction takes a transaction-scoped advisory lock (never a session lock: safe behind
 * PgBouncer), reads the version, applies every migration after it in order and records the new
 * version: migrations run exactly once even when several processes open together, and a failed
 * one leaves the schema as it was (PostgreSQL's DDL is transactional). A schema whose version is
 * newer than this code knows is refused. Without {@code create_tables = true} nothing is created
 * or migrated: a missing or older schema fails the open, naming the table and the key.
 *
 * <ul>
 *   <li>Version 1: the version table and the table registry; item tables
 *       ({@link Sql#createItemTable}) are created on demand and registered.</li>
 * </ul>
 */
final class Schema {
    private static final Logger LOG = LoggerFactory.getLogger(Schema.class);

    /** The version this code writes. */
    static final int CURRENT = 1;

    private Schema() {
    }

    /** One forward step; runs inside the migration transaction. */
    private interface Migration {
        void apply(Connection c, Sql sql, Clock clock) throws SQLException;
    }

    private static final List<Migration> MIGRATIONS = List.of(
            // 1: the registry of item tables.
            (c, sql, clock) -> exec(c, "CREATE TABLE IF NOT EXISTS " + sql.tablesTable()
                    + " (name text PRIMARY KEY, created_at bigint NOT NULL)"));

    /**
     * Brings the schema to {@link #CURRENT}. Runs its own transaction on {@code c} and leaves it
     * in autocommit mode.
     *
     * @return the version found (0 for none)
     */
    static int migrate(Connection c, Sql sql, PostgresSettings settings, Clock clock) throws SQLException {
        boolean committed = false;
        c.setAutoCommit(false);
        try {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                ps.setLong(1, sql.lockKey("schema"));
                ps.executeQuery().close();
            }
            if (!exists(c, sql.schema, null)) {
                if (!settings.createTables()) {
                    throw new ConfigurationException("PostgreSQL schema \"" + sql.schema + "\" does not exist ("
                            + settings.describe() + "): create it, or set storage.postgres.create_tables = true");
                }
                exec(c, "CREATE SCHEMA IF NOT EXISTS " + Sql.quote(sql.schema));
            }
            boolean hasVersionTable = exists(c, sql.schema, sql.versionTableName());
            int found = hasVersionTable ? version(c, sql) : 0;
            if (found > CURRENT) {
                throw new ConfigurationException("PostgreSQL table " + sql.versionTable() + " says schema version " + found
                        + ", written by a newer storage-postgres; this one knows versions up to " + CURRENT
                        + ". Upgrade storage-postgres (downgrading is not supported), or use another "
                        + "storage.postgres.table_prefix / schema");
            }
            if (found < CURRENT) {
                if (!settings.createTables()) {
                    throw new ConfigurationException("PostgreSQL table " + (hasVersionTable ? sql.versionTable()
                            + " is at schema version " + found + ", older than " + CURRENT : sql.versionTable()
                            + " does not exist") + " (" + settings.describe() + "): set storage.postgres.create_tables = true "
                            + "once to let Polystore create or migrate its tables, or create them as docs/postgres.md shows");
                }
                exec(c, "CREATE TABLE IF NOT EXISTS " + sql.versionTable()
                        + " (id int PRIMARY KEY CHECK (id = 1), version int NOT NULL, updated_at bigint NOT NULL)");
                for (int v = found + 1; v <= CURRENT; v++) {
                    LOG.info("Migrating Polystore tables in PostgreSQL schema {} (prefix '{}') to version {}", sql.schema,
                            sql.prefix, v);
                    MIGRATIONS.get(v - 1).apply(c, sql, clock);
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + sql.versionTable()
                        + " (id, version, updated_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                        + "version = EXCLUDED.version, updated_at = EXCLUDED.updated_at")) {
                    ps.setInt(1, CURRENT);
                    ps.setLong(2, clock.instant().getEpochSecond());
                    ps.executeUpdate();
                }
            }
            c.commit();
            committed = true;
            return found;
        } finally {
            if (!committed) {
                try {
                    c.rollback();
                } catch (SQLException e) {
                    LOG.debug("Rollback after a failed schema check: {}", e.getMessage());
                }
            }
            c.setAutoCommit(true);
        }
    }

    /** The recorded schema version. */
    static int version(Connection c, Sql sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT version FROM " + sql.versionTable()
                + " WHERE id = 1")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    /** Whether {@code schema} (table null) or the table {@code schema.table} exists. */
    static boolean exists(Connection c, String schema, String table) throws SQLException {
        String q = table == null ? "SELECT 1 FROM pg_namespace WHERE nspname = ?"
                : "SELECT 1 FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = ? AND t.relname = ?";
        try (PreparedStatement ps = c.prepareStatement(q)) {
            ps.setString(1, schema);
            if (table != null) {
                ps.setString(2, table);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** Column name to type ({@code format_type}) of {@code schema.table}, empty if it does not exist. */
    static Map<String, String> columns(Connection c, String schema, String table) throws SQLException {
        Map<String, String> columns = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT a.attname, format_type(a.atttypid, a.atttypmod) "
                + "FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
                + "WHERE n.nspname = ? AND t.relname = ? AND a.attnum > 0 AND NOT a.attisdropped")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return columns;
    }

    static void exec(Connection c, String statement) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }
}
