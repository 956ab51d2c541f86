package dev.polystore.postgres;

import dev.polystore.ConfigurationException;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * Turns pgjdbc's and HikariCP's {@link SQLException}s into Polystore's portable kinds by SQLSTATE,
 * keeping the original as the cause. Nothing else in this module lets an {@code SQLException}
 * escape. Messages name what was being done and the server (never the password).
 */
final class PgErrors {
    private final String location;

    PgErrors(String location) {
        this.location = location;
    }

    static String state(SQLException e) {
        String s = e.getSQLState();
        return s == null ? "" : s;
    }

    /**
     * Whether the connection broke or the server went away while a request was in flight: the
     * request may have been executed (and committed) without its answer arriving.
     */
    static boolean connectionLost(SQLException e) {
        String s = state(e);
        return s.startsWith("08") || s.equals("57P01") || s.equals("57P02") || s.equals("57P03");
    }

    /** Whether the server says it rolled the statement or transaction back: nothing was written, a retry may succeed. */
    static boolean rolledBack(SQLException e) {
        String s = state(e);
        return s.equals("40001") || s.equals("40P01") || s.equals("57014") || s.equals("55P03");
    }

    /** A pooled connection could not be had in time: nothing was sent. */
    static boolean noConnection(SQLException e) {
        return e instanceof SQLTransientConnectionException;
    }

    /**
     * The portable error for a failed read, or for a write known not to have been applied.
     *
     * @param what what was being done, e.g. "read (pk, sk) from store 'users'"
     */
    StoreException map(String what, SQLException e) {
        String prefix = "PostgreSQL could not " + what + " (" + location + "): ";
        String s = state(e);
        if (noConnection(e)) {
            return new UnavailableException(prefix + "no connection came free or could be opened within "
                    + "storage.postgres.connect_timeout_ms (" + e.getMessage() + "); nothing was sent; retry later", e);
        }
        if (connectionLost(e)) {
            return new UnavailableException(prefix + "the connection failed (" + e.getMessage() + "); retry later", e);
        }
        if (s.equals("57014")) {
            return new UnavailableException(prefix + "the statement ran longer than storage.postgres.statement_timeout_ms "
                    + "and was cancelled; nothing was written; retry later", e);
        }
        if (rolledBack(e)) {
            return new UnavailableException(prefix + "the server rolled the work back (" + s + ": " + e.getMessage()
                    + "); nothing was written; retry", e);
        }
        if (s.startsWith("53")) {
            return new UnavailableException(prefix + "the server is out of resources (" + e.getMessage() + "); retry later", e);
        }
        if (s.equals("25006")) {
            return new UnavailableException(prefix + "the server is read-only (a standby, or in recovery); nothing was "
                    + "written; connect to the primary", e);
        }
        if (s.equals("42P01")) {
            return new StoreException(prefix + "a table is missing (dropped after it was prepared?): " + e.getMessage(), e);
        }
        if (s.startsWith("42501") || s.startsWith("28")) {
            return new ConfigurationException(prefix + "permission denied: " + e.getMessage(), e);
        }
        if (s.startsWith("22") || s.equals("54000")) {
            return new ValidationException(prefix + "the server refused a value: " + e.getMessage(), e);
        }
        return new StoreException(prefix + e.getMessage() + (s.isEmpty() ? "" : " (SQLSTATE " + s + ")"), e);
    }

    /** A write whose request may have reached the server before the connection failed. */
    OutcomeUnknownException unknown(String what, Key key, SQLException e, String resolution) {
        return new OutcomeUnknownException("PostgreSQL lost the connection while it may have been applying a write ("
                + what + ", " + location + "): " + e.getMessage() + "; " + resolution
                + ". The write may or may not have been applied: read the item back", key, e);
    }
}
