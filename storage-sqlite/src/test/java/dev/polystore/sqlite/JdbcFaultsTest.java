package dev.polystore.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/** The fault injector itself: counting, arming, what each fault does to the statement and the transaction. */
class JdbcFaultsTest {
    @TempDir
    Path dir;

    private Connection open(JdbcFaults faults) throws SQLException {
        Connection c = faults.apply(Sqlite.raw(dir.resolve("f.db")));
        Connections.exec(c, "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT)");
        return c;
    }

    private static long count(Connection c) throws SQLException {
        return Connections.queryLong(c, "SELECT count(*) FROM t");
    }

    @Test
    void countsEngineCallsAndFailsTheNthOnce() throws SQLException {
        JdbcFaults faults = new JdbcFaults();
        try (Connection c = open(faults)) {
            faults.resetCount();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO t VALUES (?, ?)")) {
                ps.setString(1, "a");
                ps.setString(2, "1");
                ps.executeUpdate();
                // prepare + executeUpdate; binding is not an engine call.
                assertEquals(2, faults.calls());
                faults.arm(2, SqliteFault.BUSY);
                ps.setString(1, "b");
                ps.executeUpdate();
                ps.setString(1, "c");
                SQLiteException e = assertThrows(SQLiteException.class, ps::executeUpdate);
                assertEquals(SQLiteErrorCode.SQLITE_BUSY, e.getResultCode());
                assertTrue(e.getMessage().contains("injected at #4"), e.getMessage());
                ps.executeUpdate();
                assertFalse(faults.armed());
                assertEquals(1, faults.injected());
            }
            assertEquals(3, count(c), "a, b, then c on the second attempt; the failed call did not run");
        }
    }

    @Test
    void aFinalizingFaultLeavesADeadStatementThatClaimsToBeOpen() throws SQLException {
        JdbcFaults faults = new JdbcFaults();
        try (Connection c = open(faults); PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM t")) {
            faults.arm(1, SqliteFault.FULL, JdbcFaults.method("executeQuery"));
            assertThrows(SQLiteException.class, ps::executeQuery);
            assertFalse(ps.isClosed(), "as sqlite-jdbc: the statement looks open");
            SQLException dead = assertThrows(SQLException.class, ps::executeQuery);
            assertEquals("statement is not executing", dead.getMessage());
            assertThrows(SQLException.class, ps::clearParameters);
        }
    }

    @Test
    void rollbackAndAfterCallEffects() throws SQLException {
        JdbcFaults faults = new JdbcFaults();
        try (Connection c = open(faults)) {
            Connections.exec(c, "BEGIN");
            Connections.exec(c, "INSERT INTO t VALUES ('x', '1')");
            faults.arm(1, SqliteFault.IOERR);
            assertThrows(SQLiteException.class, () -> Connections.exec(c, "INSERT INTO t VALUES ('y', '1')"));
            // SQLite rolled the transaction back: x is gone, and there is nothing to commit.
            SQLException e = assertThrows(SQLException.class, () -> Connections.exec(c, "COMMIT"));
            assertTrue(Transactions.noTransactionActive(e), e.getMessage());
            assertEquals(0, count(c));

            Connections.exec(c, "BEGIN");
            Connections.exec(c, "INSERT INTO t VALUES ('z', '1')");
            faults.arm(1, SqliteFault.IOERR_AFTER, JdbcFaults.sql("COMMIT"));
            assertThrows(SQLiteException.class, () -> Connections.exec(c, "COMMIT"));
            assertEquals(1, count(c), "the COMMIT ran before the error was reported");
        }
    }

    @Test
    void stickyRulesPredicatesErrorsAndGates() throws Exception {
        JdbcFaults faults = new JdbcFaults();
        try (Connection c = open(faults)) {
            faults.armFrom(2, SqliteFault.NO_CODE, JdbcFaults.sql("INSERT"));
            Connections.exec(c, "INSERT INTO t VALUES ('1', '1')");
            for (int i = 2; i < 5; i++) {
                int n = i;
                SQLException e = assertThrows(SQLException.class,
                        () -> Connections.exec(c, "INSERT INTO t VALUES ('" + n + "', '1')"));
                assertEquals(0, e.getErrorCode(), "no result code");
                assertFalse(e instanceof SQLiteException);
            }
            assertEquals(1, count(c), "SELECTs are not matched");
            faults.disarm();
            faults.arm(1, SqliteFault.ERROR);
            assertThrows(JdbcFaults.InjectedError.class, () -> count(c));
            faults.arm(1, SqliteFault.RUNTIME);
            assertInstanceOf(IllegalStateException.class, assertThrows(RuntimeException.class, () -> count(c)));

            JdbcFaults.Gate gate = faults.hold(JdbcFaults.sql("INSERT"));
            CompletableFuture<Void> held = CompletableFuture.runAsync(() -> {
                try {
                    Connections.exec(c, "INSERT INTO t VALUES ('held', '1')");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertTrue(gate.awaitReached(Duration.ofSeconds(30)));
            assertFalse(held.isDone());
            gate.open();
            held.join();
            assertEquals("INSERT INTO t VALUES ('held', '1')", gate.call().sql());
            assertEquals(2, count(c));
        }
    }
}
