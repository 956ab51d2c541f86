package dev.polystore;

/**
 * A write would have given a second item a key of a {@linkplain IndexSpec#unique() unique}
 * index: nothing was written. Says which index and which key clashed, and nothing about the item
 * that holds the key. In a transaction, {@link #operationIndex()} names the operation whose value
 * clashed.
 */
public class UniqueIndexViolationException extends ConditionFailedException {
    private static final long serialVersionUID = 1L;

    private final String index;
    private final String value;

    /**
     * @param store the store written
     * @param index the unique index
     * @param value the index key already taken
     * @param key the item whose write was refused
     * @param operationIndex the operation of a transaction whose write was refused, or -1
     */
    public UniqueIndexViolationException(String store, String index, String value, Key key, int operationIndex) {
        this(store, index, value, key, operationIndex, null);
    }

    /** As {@link #UniqueIndexViolationException(String, String, String, Key, int)}, with the engine's failure as cause. */
    public UniqueIndexViolationException(String store, String index, String value, Key key, int operationIndex,
                                         Throwable cause) {
        super("unique index '" + index + "' of store '" + store + "' already has an item with key \"" + value
                + "\"; nothing was written", key, operationIndex, cause);
        this.index = index;
        this.value = value;
    }

    /** The unique index whose key clashed. */
    public String index() {
        return index;
    }

    /** The index key that is already taken. */
    public String value() {
        return value;
    }
}
