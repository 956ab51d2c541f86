package dev.polystore.sqlite;

import dev.polystore.ConfigurationException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database file's schema version and its forward migrations.
 *
 * <p>The version lives in {@code _polystore_schema} (one row). On open, the writer takes the
 * write lock ({@code BEGIN IMMEDIATE}), reads the version, applies every migration after it in
 * order and records the new version, all in one transaction: migrations run exactly once even
 * when several processes open the file together, and a failed migration leaves the file as it
 * was. A file whose version is newer than this code knows is refused.
 *
 * <ul>
 *   <li>Version 1: item tables {@code store_<name>} ({@link Sql#createItemTable}), created on
 *       demand.</li>
 *   <li>Version 2: the table registry {@code _polystore_tables}, listing every item table so
 *       that later migrations can reach all of them; existing item tables are registered.</li>
 *   <li>Version 3: a partial index on {@code expires_at} of every item table
 *       ({@link Sql#createExpiryIndex}), so that expired items can be purged cheaply.</li>
 *   <li>Version 4: native search indexes hold the portable tokenizer's tokens ({@link Fts}:
 *       {@code ascii} tokenizer over {@value Fts#TOKENS_FUNCTION}); every FTS table made
 *       before (with FTS5's {@code unicode61} tokenizer, which tokenized differently from the
 *       portable index beyond Latin-1) is dropped with its triggers, made anew and refilled
 *       from the text items. FTS tables themselves are still created on demand, by the first
 *       search of a store.</li>
 * </ul>
 *
 * <p>Migrations run on the writer connection, which has {@value Fts#TOKENS_FUNCTION} registered
 * (every connection {@link Connections} opens has).
 */
final class Schema {
    private static final Logger LOG = LoggerFactory.getLogger(Schema.class);

    /** The version this code writes. */
    static final int CURRENT = 4;
    static final String VERSION_TABLE = "_polystore_schema";
    static final String TABLES_TABLE = "_polystore_tables";

    private Schema() {
    }

    /** One forward step; runs inside the migration transaction. */
    private interface Migration {
        void apply(Connection c, Clock clock) throws SQLException;
    }

    private static final List<Migration> MIGRATIONS = List.of(
            // 1: item tables are created on demand; nothing to do for a new file.
            (c, clock) -> { },
            // 2: the table registry, filled with the item tables that exist.
            (c, clock) -> {
                Connections.exec(c, "CREATE TABLE " + TABLES_TABLE
                        + " (name TEXT PRIMARY KEY, created_at INTEGER NOT NULL)");
                List<String> existing = new ArrayList<>();
                try (Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT name FROM sqlite_schema WHERE type = 'table' "
                             + "AND substr(name, 1, " + Sql.ITEM_TABLE_PREFIX.length() + ") = '" + Sql.ITEM_TABLE_PREFIX + "'")) {
                    while (rs.next()) {
                        existing.add(rs.getString(1).substring(Sql.ITEM_TABLE_PREFIX.length()));
                    }
                }
                for (String name : existing) {
                    register(c, name, clock);
                }
            },
            // 3: expiry index on every item table.
            (c, clock) -> {
                for (String name : tables(c)) {
                    Connections.exec(c, Sql.createExpiryIndex(name));
                }
            },
            // 4: native search indexes rebuilt over the portable tokenizer's tokens.
            (c, clock) -> {
                for (String name : tables(c)) {
                    if (exists(c, Fts.ftsTableName(name))) {
                        LOG.info("Rebuilding the search index of store '{}'", name);
                        for (String sql : Fts.drop(name)) {
                            Connections.exec(c, sql);
                        }
                        for (String sql : Fts.create(name)) {
                            Connections.exec(c, sql);
                        }
                        Connections.exec(c, Fts.backfill(name));
                    }
                }
            });

    /**
     * Brings the file to {@link #CURRENT} (or {@code target}, for tests of older layouts).
     * Must be called on a connection outside any transaction.
     *
     * @return the version found before migrating (0 for a new file)
     * @throws ConfigurationException if the file is from a newer version
     */
    static int migrate(Connection c, Path path, Clock clock, int target, Transactions tx) throws SQLException {
        tx.beginImmediate(c);
        boolean committed = false;
        try {
            Connections.exec(c, "CREATE TABLE IF NOT EXISTS " + VERSION_TABLE
                    + " (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, updated_at INTEGER NOT NULL)");
            int found = version(c);
            if (found > CURRENT) {
                throw new ConfigurationException("storage.sqlite.path = \"" + path + "\": the database has schema version "
                        + found + ", written by a newer storage-sqlite; this one knows versions up to " + CURRENT
                        + ". Upgrade storage-sqlite (downgrading a database is not supported)");
            }
            for (int v = found + 1; v <= target; v++) {
                LOG.info("Migrating SQLite database {} to schema version {}", path, v);
                MIGRATIONS.get(v - 1).apply(c, clock);
            }
            if (target > found) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + VERSION_TABLE
                        + " (id, version, updated_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                        + "version = excluded.version, updated_at = excluded.updated_at")) {
                    ps.setInt(1, target);
                    ps.setLong(2, clock.instant().getEpochSecond());
                    ps.executeUpdate();
                }
            }
            Connections.exec(c, "COMMIT");
            committed = true;
            return found;
        } finally {
            if (!committed) {
                tx.rollbackQuietly(c);
            }
        }
    }

    /** The file's schema version, 0 if it has none yet. */
    static int version(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT version FROM " + VERSION_TABLE + " WHERE id = 1")) {
            return rs.next() ? rs.getInt(1) : 0;
        }
    }

    /** Whether a table (or virtual table) of that name exists. */
    static boolean exists(Connection c, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getLong(1) > 0;
            }
        }
    }

    /** The store names of every registered item table. */
    static List<String> tables(Connection c) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT name FROM " + TABLES_TABLE
                + " ORDER BY name")) {
            while (rs.next()) {
                names.add(rs.getString(1));
            }
        }
        return names;
    }

    /** Records an item table in the registry (idempotent). */
    static void register(Connection c, String name, Clock clock) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLES_TABLE
                + " (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")) {
            ps.setString(1, name);
            ps.setLong(2, clock.instant().getEpochSecond());
            ps.executeUpdate();
        }
    }
}
