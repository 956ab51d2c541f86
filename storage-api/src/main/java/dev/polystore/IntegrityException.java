package dev.polystore;

import java.util.Optional;

/**
 * A stored item failed an integrity check: its payload was altered, truncated or extended, was
 * moved or copied from another key or store, or cannot be decrypted with the keys at hand. No part
 * of the payload is returned, neither as a value nor in the message: the read that met it fails
 * with this exception instead. Not retryable: reading the same bytes again gives the same answer.
 *
 * <p>Raised by layers that protect payloads (the encryption layer of {@code storage-encryption},
 * and its subclass for a key the keyset does not hold). The message names the store and the key
 * of the item; the cause, when there is one, is the check's own exception.
 */
public class IntegrityException extends StoreException {
    private static final long serialVersionUID = 1L;

    private final String store;
    private final transient Key key;

    /**
     * @param message what failed, naming the store and the key
     * @param store the store (table) the item was read from, or null if not known
     * @param key the item's key, or null if not known
     * @param cause the check's own exception, or null
     */
    public IntegrityException(String message, String store, Key key, Throwable cause) {
        super(message, cause);
        this.store = store;
        this.key = key;
    }

    /** The store the item was read from, when known. */
    public Optional<String> store() {
        return Optional.ofNullable(store);
    }

    /** The key of the item that failed the check, when known. */
    public Optional<Key> key() {
        return Optional.ofNullable(key);
    }
}
