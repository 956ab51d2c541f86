package dev.polystore.sqlite;

import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import java.sql.SQLException;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * Turns sqlite-jdbc's {@link SQLException}s into Polystore's portable kinds, keeping the
 * original as the cause. Nothing else in this module lets an {@code SQLException} escape.
 */
final class SqliteErrors {
    static final int SQLITE_BUSY = 5;
    static final int SQLITE_LOCKED = 6;
    static final int SQLITE_NOMEM = 7;
    static final int SQLITE_READONLY = 8;
    static final int SQLITE_IOERR = 10;
    static final int SQLITE_CORRUPT = 11;
    static final int SQLITE_FULL = 13;
    static final int SQLITE_CANTOPEN = 14;
    static final int SQLITE_PROTOCOL = 15;
    static final int SQLITE_TOOBIG = 18;
    static final int SQLITE_NOTADB = 26;

    private final String location;
    private final long busyTimeoutMs;

    SqliteErrors(String location, long busyTimeoutMs) {
        this.location = location;
        this.busyTimeoutMs = busyTimeoutMs;
    }

    /** SQLite's primary result code of {@code e} (extended codes reduced to their primary code), or -1. */
    static int primaryCode(SQLException e) {
        if (e instanceof SQLiteException se && se.getResultCode() != null
                && se.getResultCode() != SQLiteErrorCode.UNKNOWN_ERROR) {
            return se.getResultCode().code & 0xff;
        }
        int code = e.getErrorCode();
        return code > 0 ? code & 0xff : -1;
    }

    static boolean isBusy(SQLException e) {
        int code = primaryCode(e);
        return code == SQLITE_BUSY || code == SQLITE_LOCKED;
    }

    /**
     * The portable error for a failed read, or for a write that SQLite rolled back (so nothing
     * was written).
     *
     * @param what what was being done, e.g. "read (pk, sk) from store 'users'"
     */
    StoreException map(String what, SQLException e) {
        String prefix = "SQLite could not " + what + " in " + location + ": ";
        int code = primaryCode(e);
        return switch (code) {
            case SQLITE_BUSY, SQLITE_LOCKED -> new UnavailableException(prefix + "the database stayed locked by another "
                    + "connection or process for longer than storage.sqlite.busy_timeout_ms = " + busyTimeoutMs
                    + " ms; nothing was written; retry later", e);
            case SQLITE_FULL -> new UnavailableException(prefix + "the disk is full; nothing was written; retry "
                    + "once space is free", e);
            case SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_NOMEM, SQLITE_PROTOCOL, SQLITE_READONLY ->
                    new UnavailableException(prefix + e.getMessage(), e);
            case SQLITE_TOOBIG -> new ValidationException(prefix + "a value is larger than SQLite allows", e);
            case SQLITE_CORRUPT, SQLITE_NOTADB -> new StoreException(prefix + "the database file is damaged or not "
                    + "a SQLite database (" + e.getMessage() + "); restore it from a backup", e);
            default -> isClosed(e) ? new UnavailableException(prefix + "the connection is closed", e)
                    : new StoreException(prefix + e.getMessage(), e);
        };
    }

    /**
     * The portable error for a failed {@code COMMIT} (after which the caller rolls back).
     *
     * <ul>
     *   <li>An I/O error or corruption reported by a {@code COMMIT} that ran may leave the
     *       transaction durable in the write-ahead log or not: {@link OutcomeUnknownException}.</li>
     *   <li>A driver error that carries no SQLite result code ("statement is not executing", a
     *       closed connection) comes from sqlite-jdbc before the statement reached SQLite: the
     *       {@code COMMIT} never ran, the transaction is rolled back, nothing was written:
     *       {@link UnavailableException}.</li>
     *   <li>Every other result code ({@code SQLITE_FULL}, {@code SQLITE_BUSY}, …) means SQLite
     *       did not commit: as {@link #map}, nothing was written.</li>
     * </ul>
     */
    StoreException mapCommit(String what, Key key, SQLException e) {
        int code = primaryCode(e);
        if (code == SQLITE_IOERR || code == SQLITE_CORRUPT || code == SQLITE_NOTADB) {
            return new OutcomeUnknownException("SQLite failed while committing (" + what + ") in " + location + " ("
                    + e.getMessage() + "): the writes may or may not be durable; read the items back", key, e);
        }
        if (code < 0) {
            return new UnavailableException("SQLite could not commit " + what + " in " + location + ": the driver "
                    + "failed before running the COMMIT (" + e.getMessage() + "), so the transaction was rolled back "
                    + "and nothing was written; retry", e);
        }
        return map("commit " + what, e);
    }

    private static boolean isClosed(SQLException e) {
        String message = e.getMessage();
        return message != null && (message.contains("closed") || message.contains("not open"));
    }
}
