package dev.polystore.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** BEGIN IMMEDIATE retries SQLITE_BUSY answers that SQLite's busy handler returns early. */
class TransactionsTest {
    @TempDir
    Path dir;

    @Test
    void earlyBusyAnswersAreRetriedUntilTheTimeoutThenReported() throws Exception {
        Path db = dir.resolve("t.db");
        try (Connection holder = Sqlite.raw(db); Connection writer = Sqlite.raw(db);
             Statement h = holder.createStatement()) {
            h.execute("PRAGMA journal_mode = WAL");
            h.execute("CREATE TABLE x (v)");
            // With busy_timeout 0 SQLite answers SQLITE_BUSY at once: only the retry loop waits.
            Connections.exec(writer, "PRAGMA busy_timeout = 0");
            h.execute("BEGIN IMMEDIATE");
            Transactions tx = new Transactions(Duration.ofMillis(300));
            SQLException e = assertThrows(SQLException.class, () -> tx.beginImmediate(writer));
            assertTrue(SqliteErrors.isBusy(e), e.toString());
            assertEquals(300, Connections.queryLong(writer, "PRAGMA busy_timeout"),
                    "the busy timeout narrowed for retries is restored to the configured one");
            h.execute("ROLLBACK");
            tx.beginImmediate(writer);
            Connections.exec(writer, "INSERT INTO x VALUES (1)");
            Connections.exec(writer, "COMMIT");
            assertEquals(1, Connections.queryLong(holder, "SELECT count(*) FROM x"));
        }
    }
}
