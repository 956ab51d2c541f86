package dev.polystore;

/**
 * Root of every error Polystore reports. Unchecked, like the AWS SDK's {@code SdkException}.
 *
 * <p>Asynchronous methods never throw these directly: their futures complete exceptionally
 * with a {@code StoreException} (seen wrapped in {@link java.util.concurrent.CompletionException}
 * when you {@code join()}). The engine's own exception, when there is one, is the
 * {@linkplain #getCause() cause}; it is never the type callers must catch.
 *
 * <p>The portable kinds are subclasses:
 * <ul>
 *   <li>{@link ConditionFailedException}: a condition (if absent, if version = n) was not met;</li>
 *   <li>{@link ValidationException}: bad input (key, item, query, transaction), rejected before any write;</li>
 *   <li>{@link NotFoundException}: something that must exist does not (where the operation says so);</li>
 *   <li>{@link UnavailableException}: the engine could not be reached or is overloaded; retryable;</li>
 *   <li>{@link OutcomeUnknownException}: a write may or may not have been applied;</li>
 *   <li>{@link UnsupportedCapabilityException}: the backend does not offer an optional capability;</li>
 *   <li>{@link ConfigurationException}: bad or missing configuration, reported when opening;</li>
 *   <li>{@link BatchWriteException}: part of a (non-atomic) batch was not written;</li>
 *   <li>{@link CodecException}: a value could not be encoded or a stored payload decoded;</li>
 *   <li>{@link IntegrityException}: a stored item failed an integrity check (altered, moved, or
 *       encrypted under a key that is not at hand); nothing of its payload is returned.</li>
 * </ul>
 */
public class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Whether trying the same operation again, unchanged, may succeed. True for
     * {@link UnavailableException}; false for most other kinds.
     */
    public boolean retryable() {
        return false;
    }
}
