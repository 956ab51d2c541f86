package dev.polystore.lease;

import dev.polystore.ConditionFailedException;
import dev.polystore.Key;

/**
 * A lease is no longer this holder's: a fenced write was rejected by the engine because another
 * holder has acquired the lease since (or it was released), or a renewal found it taken over,
 * released or expired. Nothing was written. It is a {@link ConditionFailedException}: the
 * condition "still the holder of token n" was checked atomically with the write and failed.
 *
 * <p>What to do: stop working under this lease; {@link Leases#acquire} again for a new token if
 * the work must go on.
 */
public class LeaseLostException extends ConditionFailedException {
    private static final long serialVersionUID = 1L;

    private final String lease;
    private final long token;

    public LeaseLostException(String message, String lease, long token, Key key) {
        super(message, key);
        this.lease = lease;
        this.token = token;
    }

    /** The lease's name. */
    public String lease() {
        return lease;
    }

    /** The token this holder had. */
    public long token() {
        return token;
    }
}
