package dev.polystore.sqlite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

class SqliteErrorsTest {
    private final SqliteErrors errors = new SqliteErrors("/tmp/x.db", 5000);

    private static SQLiteException sqlite(SQLiteErrorCode code) {
        return new SQLiteException(code.message, code);
    }

    @Test
    void busyAndLockedAreRetryableUnavailable() {
        for (SQLiteErrorCode code : new SQLiteErrorCode[] {SQLiteErrorCode.SQLITE_BUSY, SQLiteErrorCode.SQLITE_BUSY_SNAPSHOT,
            SQLiteErrorCode.SQLITE_LOCKED}) {
            SQLiteException cause = sqlite(code);
            StoreException e = errors.map("write x", cause);
            assertInstanceOf(UnavailableException.class, e, code.name());
            assertTrue(e.retryable());
            assertSame(cause, e.getCause());
            assertTrue(e.getMessage().contains("storage.sqlite.busy_timeout_ms = 5000"), e.getMessage());
        }
    }

    @Test
    void diskFullAndIoErrorsAreUnavailable() {
        assertInstanceOf(UnavailableException.class, errors.map("write x", sqlite(SQLiteErrorCode.SQLITE_FULL)));
        assertInstanceOf(UnavailableException.class, errors.map("read x", sqlite(SQLiteErrorCode.SQLITE_IOERR_READ)));
        assertInstanceOf(UnavailableException.class, errors.map("read x", sqlite(SQLiteErrorCode.SQLITE_CANTOPEN)));
    }

    @Test
    void corruptionIsNotRetryable() {
        StoreException e = errors.map("read x", sqlite(SQLiteErrorCode.SQLITE_CORRUPT));
        assertEquals(StoreException.class, e.getClass());
        assertFalse(e.retryable());
        assertTrue(e.getMessage().contains("/tmp/x.db"), e.getMessage());
    }

    @Test
    void tooBigIsAValidationError() {
        assertInstanceOf(ValidationException.class, errors.map("write x", sqlite(SQLiteErrorCode.SQLITE_TOOBIG)));
    }

    @Test
    void anIoErrorWhileCommittingLeavesTheOutcomeUnknown() {
        SQLiteException cause = sqlite(SQLiteErrorCode.SQLITE_IOERR_FSYNC);
        StoreException e = errors.mapCommit("write x", Key.of("p", "s"), cause);
        assertInstanceOf(OutcomeUnknownException.class, e);
        assertSame(cause, e.getCause());
        assertEquals(Key.of("p", "s"), ((OutcomeUnknownException) e).key().orElseThrow());
        // A busy or full disk at commit means SQLite rolled back: nothing written, retry later.
        assertInstanceOf(UnavailableException.class, errors.mapCommit("write x", null, sqlite(SQLiteErrorCode.SQLITE_FULL)));
    }

    @Test
    void aCommitThatFailedInTheDriverNeverRanAndWroteNothing() {
        // No SQLite result code: sqlite-jdbc refused before the COMMIT reached SQLite.
        SQLException cause = new SQLException("statement is not executing");
        StoreException e = errors.mapCommit("write x", Key.of("p", "s"), cause);
        assertInstanceOf(UnavailableException.class, e);
        assertTrue(e.getMessage().contains("nothing was written"), e.getMessage());
        assertSame(cause, e.getCause());
        // Corruption reported by a COMMIT that ran leaves durability in doubt, like an I/O error.
        assertInstanceOf(OutcomeUnknownException.class, errors.mapCommit("write x", null,
                sqlite(SQLiteErrorCode.SQLITE_CORRUPT)));
        assertInstanceOf(UnavailableException.class, errors.mapCommit("write x", null, sqlite(SQLiteErrorCode.SQLITE_BUSY)));
    }

    @Test
    void aPlainSqlExceptionWithACodeIsMappedByItsCode() {
        StoreException e = errors.map("read x", new SQLException("database is locked", "", 5));
        assertInstanceOf(UnavailableException.class, e);
    }
}
