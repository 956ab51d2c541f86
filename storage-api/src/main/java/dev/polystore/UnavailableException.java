package dev.polystore;

/**
 * The engine could not serve the request now: unreachable, throttled, busy past its
 * timeout, or closed underneath. Nothing was written where the operation is a read or
 * failed before being sent; for writes whose fate is not known see
 * {@link OutcomeUnknownException}. Retrying later may succeed.
 */
public class UnavailableException extends StoreException {
    private static final long serialVersionUID = 1L;

    public UnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public boolean retryable() {
        return true;
    }
}
