package dev.polystore;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * A write's condition was not met: the item existed for "if absent", was missing for
 * "if exists", or had another version for "if version = n". Nothing was written.
 *
 * <p>In a transaction, {@link #operationIndex()} says which operation's condition failed,
 * when the engine reports it.
 */
public class ConditionFailedException extends StoreException {
    private static final long serialVersionUID = 1L;

    private final transient Key key;
    private final int operationIndex;

    public ConditionFailedException(String message, Key key) {
        this(message, key, -1, null);
    }

    public ConditionFailedException(String message, Key key, int operationIndex, Throwable cause) {
        super(message, cause);
        this.key = key;
        this.operationIndex = operationIndex;
    }

    /** The key whose condition failed, when known. */
    public Optional<Key> key() {
        return Optional.ofNullable(key);
    }

    /** Index of the failed operation in a transaction, when known. */
    public OptionalInt operationIndex() {
        return operationIndex < 0 ? OptionalInt.empty() : OptionalInt.of(operationIndex);
    }
}
