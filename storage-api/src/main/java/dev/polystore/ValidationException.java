package dev.polystore;

/**
 * Bad input, rejected before anything was written: an empty or over-long key, a key with
 * characters that are not portable, an item over the size limit, a malformed query or cursor,
 * a transaction over the backend's limits. The message names what was wrong and what is allowed.
 */
public class ValidationException extends StoreException {
    private static final long serialVersionUID = 1L;

    public ValidationException(String message) {
        super(message);
    }

    public ValidationException(String message, Throwable cause) {
        super(message, cause);
    }
}
