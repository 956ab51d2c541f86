package dev.polystore.lease;

import dev.polystore.StoreException;

/**
 * {@link Leases#acquire(String, java.time.Duration, java.time.Duration)} did not get the lease
 * within its timeout: another holder kept it (its record changed within every TTL, or it was
 * never seen unchanged for a whole TTL), or the engine failed throughout ({@link #getCause()} is
 * then the last failure). Nothing is held. Retryable: try again later.
 */
public class LeaseTimeoutException extends StoreException {
    private static final long serialVersionUID = 1L;

    public LeaseTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public boolean retryable() {
        return true;
    }
}
