package dev.polystore.sqlite;

import dev.polystore.ConfigurationException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.sqlite.SQLiteConfig;

/**
 * Opens connections and sets their pragmas explicitly, then reads every one back: SQLite
 * ignores unknown or misplaced pragmas silently, so a value that did not stick is an error here,
 * never a silent default.
 */
final class Connections {
    /** Bytes of WAL file kept after a checkpoint (64 MiB). */
    static final long JOURNAL_SIZE_LIMIT = 64L * 1024 * 1024;

    private final SqliteSettings settings;
    private final String url;
    private final UnaryOperator<Connection> wrapper;

    Connections(SqliteSettings settings) {
        this(settings, UnaryOperator.identity());
    }

    /** @param wrapper applied to every connection as it is opened (tests inject faults through it) */
    Connections(SqliteSettings settings, UnaryOperator<Connection> wrapper) {
        this.settings = settings;
        this.wrapper = wrapper;
        this.url = "jdbc:sqlite:" + settings.path().toAbsolutePath().normalize();
    }

    /**
     * The writer: creates the file if needed, fixes page size and encoding of a new file, switches it to WAL.
     *
     * <p>While another connection creates the same file or switches it to WAL, SQLite may answer
     * {@code SQLITE_BUSY} at once, without calling the busy handler (it does so where waiting
     * could deadlock). Such an answer is retried with a short pause until the busy timeout has
     * passed, as the busy handler would have waited; then it is reported.
     */
    Connection openWriter() throws SQLException {
        long deadline = System.nanoTime() + settings.busyTimeout().toNanos();
        long pauseMillis = 5;
        while (true) {
            try {
                return openWriterOnce();
            } catch (SQLException e) {
                if (!SqliteErrors.isBusy(e) || System.nanoTime() - deadline >= 0) {
                    throw e;
                }
                try {
                    Thread.sleep(pauseMillis);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                pauseMillis = Math.min(pauseMillis * 2, 100);
            }
        }
    }

    private Connection openWriterOnce() throws SQLException {
        Connection c = open();
        boolean ok = false;
        try {
            // Only take effect on a database with no content yet; read back below.
            exec(c, "PRAGMA page_size = " + settings.pageSize());
            exec(c, "PRAGMA encoding = 'UTF-8'");
            String mode = queryString(c, "PRAGMA journal_mode = WAL");
            if (!"wal".equalsIgnoreCase(mode)) {
                throw new ConfigurationException(key(SqliteSettings.PATH) + " = \"" + settings.path()
                        + "\": SQLite could not switch the database to WAL mode (it reports journal_mode = " + mode
                        + "); WAL needs a local file system with shared memory, not a network share");
            }
            common(c, false);
            // After a checkpoint, a WAL file grown by a burst of writes is truncated back to this.
            exec(c, "PRAGMA journal_size_limit = " + JOURNAL_SIZE_LIMIT);
            expect(queryLong(c, "PRAGMA journal_size_limit"), JOURNAL_SIZE_LIMIT, "journal_size_limit");
            checkFileFormat(c);
            ok = true;
            return c;
        } finally {
            if (!ok) {
                c.close();
            }
        }
    }

    /** A reader: same pragmas, plus {@code query_only} so it can never write. */
    Connection openReader() throws SQLException {
        Connection c = open();
        boolean ok = false;
        try {
            common(c, true);
            ok = true;
            return c;
        } finally {
            if (!ok) {
                c.close();
            }
        }
    }

    private Connection open() throws SQLException {
        SQLiteConfig config = new SQLiteConfig();
        config.setBusyTimeout((int) settings.busyTimeout().toMillis());
        // Nothing here calls getGeneratedKeys(); left on, sqlite-jdbc would prepare, run and
        // finalize a "SELECT last_insert_rowid()" after every INSERT (each upsert), about 10 %
        // of the writer's time in a bulk load (JFR, docs/benchmarks.md).
        config.setGetGeneratedKeys(false);
        Connection c = config.createConnection(url);
        try {
            // The native search index's triggers call it (Fts); every connection gets its own.
            Fts.register(c);
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
        Connection wrapped = wrapper.apply(c);
        if (wrapped == null) {
            c.close();
            throw new IllegalStateException("the connection wrapper returned null");
        }
        return wrapped;
    }

    private void common(Connection c, boolean reader) throws SQLException {
        exec(c, "PRAGMA synchronous = " + settings.synchronous().name());
        exec(c, "PRAGMA busy_timeout = " + settings.busyTimeout().toMillis());
        exec(c, "PRAGMA foreign_keys = ON");
        exec(c, "PRAGMA cache_size = " + (-(long) settings.cacheSizeKib()));
        exec(c, "PRAGMA query_only = " + (reader ? "ON" : "OFF"));
        verify(c, reader);
    }

    /** Reads the pragmas back and fails on any value other than the one set. */
    private void verify(Connection c, boolean reader) throws SQLException {
        expect(queryString(c, "PRAGMA journal_mode"), "wal", key(SqliteSettings.PATH) + " (journal_mode)");
        long sync = queryLong(c, "PRAGMA synchronous");
        if (sync != settings.synchronous().level) {
            throw new ConfigurationException(key(SqliteSettings.SYNCHRONOUS) + " = " + settings.synchronous()
                    + ": SQLite reports synchronous = " + SqliteSettings.Synchronous.describe(sync) + " after setting it");
        }
        expect(queryLong(c, "PRAGMA busy_timeout"), settings.busyTimeout().toMillis(), key(SqliteSettings.BUSY_TIMEOUT_MS));
        expect(queryLong(c, "PRAGMA foreign_keys"), 1L, "foreign_keys");
        expect(queryLong(c, "PRAGMA cache_size"), -(long) settings.cacheSizeKib(), key(SqliteSettings.CACHE_SIZE_KIB));
        expect(queryLong(c, "PRAGMA query_only"), reader ? 1L : 0L, "query_only");
    }

    /** Encoding and page size are fixed when a file is created; an existing file must fit. */
    private void checkFileFormat(Connection c) throws SQLException {
        String encoding = queryString(c, "PRAGMA encoding");
        if (!"UTF-8".equalsIgnoreCase(encoding)) {
            throw new ConfigurationException(key(SqliteSettings.PATH) + " = \"" + settings.path() + "\": the database "
                    + "uses text encoding " + encoding + "; Polystore needs UTF-8 (sort keys compare as UTF-8 bytes)");
        }
        long pageSize = queryLong(c, "PRAGMA page_size");
        if (pageSize != settings.pageSize() && settings.pageSizeSet()) {
            throw new ConfigurationException(key(SqliteSettings.PAGE_SIZE) + " = " + settings.pageSize()
                    + ": the database " + settings.path() + " has page size " + pageSize
                    + " (a file's page size is fixed once it has content); remove the key or set it to " + pageSize);
        }
    }

    /** The pragmas in effect on {@code c}, for health details and tests. */
    static Map<String, String> pragmas(Connection c) throws SQLException {
        Map<String, String> p = new LinkedHashMap<>();
        for (String name : new String[] {"journal_mode", "synchronous", "busy_timeout", "foreign_keys", "cache_size",
                "page_size", "encoding", "query_only"}) {
            p.put(name, queryString(c, "PRAGMA " + name));
        }
        p.put("sqlite_version", queryString(c, "SELECT sqlite_version()"));
        return p;
    }

    private String key(String k) {
        return "storage.sqlite." + k;
    }

    private static void expect(Object actual, Object expected, String what) {
        if (!String.valueOf(expected).toLowerCase(Locale.ROOT).equals(String.valueOf(actual).toLowerCase(Locale.ROOT))) {
            throw new ConfigurationException(what + ": expected SQLite to report " + expected + " after setting it, "
                    + "but it reports " + actual);
        }
    }

    static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static String queryString(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    static long queryLong(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            if (!rs.next()) {
                throw new SQLException("no row from " + sql);
            }
            return rs.getLong(1);
        }
    }
}
