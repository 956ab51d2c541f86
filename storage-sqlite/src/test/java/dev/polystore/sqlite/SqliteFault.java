package dev.polystore.sqlite;

import java.sql.SQLException;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The ways a SQLite engine call fails, for {@link JdbcFaults}, each as sqlite-jdbc and SQLite
 * behave: the exception (a {@link SQLiteException} with SQLite's result code, as the driver
 * throws), whether the driver finalizes the statement (it keeps it only after
 * {@code SQLITE_BUSY}, {@code SQLITE_LOCKED}, {@code SQLITE_CONSTRAINT} and
 * {@code SQLITE_MISUSE}), and whether SQLite rolls back the whole transaction (after
 * {@code SQLITE_IOERR} and {@code SQLITE_NOMEM}, and after {@code SQLITE_FULL} on a statement
 * without a statement journal, such as a one-row upsert; other errors undo the statement only).
 * The call itself does not run, except for {@link #IOERR_AFTER}.
 */
enum SqliteFault implements JdbcFaults.Fault {
    /** The disk is full; only the statement is undone (a statement with a statement journal), the transaction goes on. */
    FULL(SQLiteErrorCode.SQLITE_FULL, true, false, false),
    /** The disk is full and SQLite rolls the whole transaction back (a one-row write: what it does in practice). */
    FULL_ROLLBACK(SQLiteErrorCode.SQLITE_FULL, true, true, false),
    /** An I/O error before the call did its work; SQLite rolls the transaction back. */
    IOERR(SQLiteErrorCode.SQLITE_IOERR_WRITE, true, true, false),
    /** The call did its work, then an I/O error is reported (a COMMIT that is durable, answered with an error). */
    IOERR_AFTER(SQLiteErrorCode.SQLITE_IOERR_FSYNC, true, true, true),
    /** Out of memory; SQLite rolls the transaction back. */
    NOMEM(SQLiteErrorCode.SQLITE_NOMEM, true, true, false),
    /** The file is damaged; the statement is undone. */
    CORRUPT(SQLiteErrorCode.SQLITE_CORRUPT, true, false, false),
    /** A value too large; the statement is undone. */
    TOOBIG(SQLiteErrorCode.SQLITE_TOOBIG, true, false, false),
    /** A plain SQLITE_ERROR; the statement is undone. */
    GENERIC(SQLiteErrorCode.SQLITE_ERROR, true, false, false),
    /** The lock was held past the busy timeout; the statement stays usable. */
    BUSY(SQLiteErrorCode.SQLITE_BUSY, false, false, false),
    /** A driver error with no SQLite result code, before the call reached SQLite ("statement is not executing"). */
    NO_CODE(null, false, false, false),
    /** An unchecked exception out of the driver. */
    RUNTIME(null, false, false, false),
    /** An {@link Error} out of the driver (as an OutOfMemoryError would be). */
    ERROR(null, false, false, false);

    private final SQLiteErrorCode code;
    private final boolean finalizes;
    private final boolean rollsBack;
    private final boolean after;

    SqliteFault(SQLiteErrorCode code, boolean finalizes, boolean rollsBack, boolean after) {
        this.code = code;
        this.finalizes = finalizes;
        this.rollsBack = rollsBack;
        this.after = after;
    }

    @Override
    public Throwable error(JdbcFaults.Call call) {
        String where = " (injected at " + call + ")";
        return switch (this) {
            case NO_CODE -> new SQLException("statement is not executing" + where);
            case RUNTIME -> new IllegalStateException("injected driver failure" + where);
            case ERROR -> new JdbcFaults.InjectedError("injected error" + where);
            default -> new SQLiteException("[" + code.name() + "] " + code.message + where, code);
        };
    }

    @Override
    public boolean afterCall() {
        return after;
    }

    @Override
    public boolean finalizesStatement() {
        return finalizes;
    }

    @Override
    public boolean rollsBackTransaction() {
        return rollsBack;
    }
}
