package dev.polystore.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteException;

/**
 * The cache never hands back a statement the driver finalized. The finalization is real here:
 * sqlite-jdbc's own, after SQLite's own SQLITE_FULL ({@code max_page_count}).
 */
class StatementCacheTest {
    private static final String INSERT = "INSERT INTO t VALUES (?, ?)";

    @TempDir
    Path dir;

    /** A cache over a connection whose file is full after a few more rows. */
    private StatementCache fullSoon() throws SQLException {
        Connection c = Sqlite.raw(dir.resolve("c.db"));
        Connections.exec(c, "CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB)");
        long pages = Connections.queryLong(c, "PRAGMA page_count");
        Connections.queryLong(c, "PRAGMA max_page_count = " + (pages + 2));
        return new StatementCache(c);
    }

    /** Inserts rows through the cached INSERT until SQLite reports the file full. */
    private static SQLiteException fill(StatementCache cache) throws SQLException {
        for (int i = 0; i < 100; i++) {
            PreparedStatement ps = cache.get(INSERT);
            ps.setString(1, "k" + i);
            ps.setBytes(2, new byte[3000]);
            try {
                ps.executeUpdate();
            } catch (SQLiteException e) {
                return e;
            }
        }
        throw new AssertionError("the file never filled");
    }

    private static void grow(StatementCache cache) throws SQLException {
        Connections.queryLong(cache.connection(), "PRAGMA max_page_count = 1000000");
    }

    @Test
    void aStatementFinalizedByTheDriverIsReplacedOnItsNextUse() throws SQLException {
        try (StatementCache cache = fullSoon()) {
            PreparedStatement dead = cache.get(INSERT);
            fill(cache);
            assertFalse(dead.isClosed(), "sqlite-jdbc: a finalized statement still claims to be open");
            assertThrows(SQLException.class, dead::clearParameters);
            grow(cache);
            // get() clears the parameters, which fails on the dead statement: it is prepared again.
            PreparedStatement fresh = cache.get(INSERT);
            assertNotSame(dead, fresh);
            fresh.setString(1, "after");
            fresh.setBytes(2, new byte[1]);
            assertEquals(1, fresh.executeUpdate());
        }
    }

    @Test
    void discardUsedForgetsEveryStatementOfTheFailedUnit() throws SQLException {
        try (StatementCache cache = fullSoon()) {
            PreparedStatement other = cache.get("SELECT count(*) FROM t");
            cache.startUnit();
            PreparedStatement dead = cache.getBindingAll(INSERT);
            fill(cache);
            cache.discardUsed();
            assertFalse(cache.isCached(INSERT));
            assertTrue(cache.isCached("SELECT count(*) FROM t"), "a statement used before the unit is kept");
            assertSame(other, cache.get("SELECT count(*) FROM t"));
            assertTrue(cache.evicted() >= 1);
            grow(cache);
            PreparedStatement fresh = cache.getBindingAll(INSERT);
            assertNotSame(dead, fresh);
            fresh.setString(1, "after");
            fresh.setBytes(2, new byte[1]);
            assertEquals(1, fresh.executeUpdate());
        }
    }

    @Test
    void executeEvictsAStatementThatFailed() throws SQLException {
        try (StatementCache cache = fullSoon()) {
            cache.execute("BEGIN");
            assertTrue(cache.isCached("BEGIN"));
            // BEGIN inside a transaction fails (SQLITE_ERROR): the driver finalizes the statement.
            assertThrows(SQLException.class, () -> cache.execute("BEGIN"));
            assertFalse(cache.isCached("BEGIN"));
            cache.execute("ROLLBACK");
            cache.execute("BEGIN");
            cache.execute("ROLLBACK");
        }
    }
}
