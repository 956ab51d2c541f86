package dev.polystore;

import java.util.List;

/**
 * A batch write (not atomic) finished with some items not written, or not known to be written,
 * after the backend's bounded retries. The keys of the batch fall into three groups:
 * <ul>
 *   <li>{@link #unprocessed()}: exactly the keys that were <b>not written</b> (the engine refused
 *       them, left them unprocessed, or never received them);</li>
 *   <li>{@link #inDoubt()}: the keys whose write <b>may or may not have been applied</b> (their
 *       request reached the engine, and its answer was lost), as an
 *       {@link OutcomeUnknownException} would report for a single write. Read them back to learn
 *       their state; since batch writes are unconditional, writing them again is also safe (the
 *       value ends the same, the version may be one higher);</li>
 *   <li>every other key of the batch was written.</li>
 * </ul>
 * The two lists are disjoint. Whether retrying the keys not written may help is said by
 * {@link #retryable()}.
 *
 * <p>Immutable (the lists are unmodifiable copies).
 */
public class BatchWriteException extends StoreException {
    private static final long serialVersionUID = 1L;

    private final transient List<Key> unprocessed;
    private final transient List<Key> inDoubt;
    private final boolean retryable;

    /** A batch failure with no key in doubt: {@code unprocessed} lists every key not written. */
    public BatchWriteException(String message, List<Key> unprocessed, boolean retryable, Throwable cause) {
        this(message, unprocessed, List.of(), retryable, cause);
    }

    /**
     * @param unprocessed the keys certainly not written
     * @param inDoubt the keys whose write may or may not have been applied; disjoint from {@code unprocessed}
     * @param retryable whether retrying the keys not written may succeed
     * @throws IllegalArgumentException if a key is in both lists
     */
    public BatchWriteException(String message, List<Key> unprocessed, List<Key> inDoubt, boolean retryable,
                               Throwable cause) {
        super(message, cause);
        this.unprocessed = List.copyOf(unprocessed);
        this.inDoubt = List.copyOf(inDoubt);
        this.retryable = retryable;
        for (Key k : this.inDoubt) {
            if (this.unprocessed.contains(k)) {
                throw new IllegalArgumentException("key " + k + " is listed both as not written and as in doubt");
            }
        }
    }

    /** The keys that were not written. */
    public List<Key> unprocessed() {
        return unprocessed;
    }

    /**
     * The keys whose write may or may not have been applied (empty when every outcome is known).
     * Read them back to learn their state.
     */
    public List<Key> inDoubt() {
        return inDoubt;
    }

    /**
     * Whether writing the keys {@link #unprocessed() not written} again may succeed: true when
     * each of them failed for a retryable reason (throttling, an unreachable engine). Keys
     * {@linkplain #inDoubt() in doubt} do not change it.
     */
    @Override
    public boolean retryable() {
        return retryable;
    }
}
