package dev.polystore.encryption;

import dev.polystore.IntegrityException;
import dev.polystore.Key;

/**
 * A stored item names a key id that the configured keyset does not hold (or holds disabled): the
 * key it was encrypted under was removed from the keyset too early (before re-encryption finished,
 * see docs/encryption.md, "Rotation"), the storage was opened with the wrong keyset, or the key id
 * bytes of the item were altered. Nothing of the payload is returned.
 */
public class UnknownKeyException extends IntegrityException {
    private static final long serialVersionUID = 1L;

    private final int keyId;

    /**
     * @param message what failed, naming the store, the key and the key id
     * @param store the store the item was read from
     * @param key the item's key
     * @param keyId the key id the item names
     */
    public UnknownKeyException(String message, String store, Key key, int keyId) {
        super(message, store, key, null);
        this.keyId = keyId;
    }

    /** The key id the item names (Tink's key id, an unsigned 32-bit number shown as {@code Integer.toUnsignedString}). */
    public int keyId() {
        return keyId;
    }
}
