package dev.polystore;

import java.util.List;

/**
 * A batch write (not atomic) finished with some items not written, after the backend's
 * bounded retries. {@link #unprocessed()} lists exactly those keys; every other key of the
 * batch was written. Whether retrying may help is said by {@link #retryable()}.
 */
public class BatchWriteException extends StoreException {
    private static final long serialVersionUID = 1L;

    private final transient List<Key> unprocessed;
    private final boolean retryable;

    public BatchWriteException(String message, List<Key> unprocessed, boolean retryable, Throwable cause) {
        super(message, cause);
        this.unprocessed = List.copyOf(unprocessed);
        this.retryable = retryable;
    }

    /** The keys that were not written. */
    public List<Key> unprocessed() {
        return unprocessed;
    }

    @Override
    public boolean retryable() {
        return retryable;
    }
}
