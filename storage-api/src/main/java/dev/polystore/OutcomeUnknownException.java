package dev.polystore;

/**
 * A write may or may not have been applied: for example the request reached the engine but
 * its answer was lost, and a retry could not tell its own earlier success from a
 * conflicting write. Polystore reports this rather than a success or a condition failure it
 * cannot prove. Read the item back to learn its state.
 */
public class OutcomeUnknownException extends StoreException {
    private static final long serialVersionUID = 1L;

    private final transient Key key;

    public OutcomeUnknownException(String message, Key key, Throwable cause) {
        super(message, cause);
        this.key = key;
    }

    /** The key whose write is in doubt, when the operation had a single key. */
    public java.util.Optional<Key> key() {
        return java.util.Optional.ofNullable(key);
    }
}
