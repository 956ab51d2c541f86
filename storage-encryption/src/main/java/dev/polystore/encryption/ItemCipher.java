package dev.polystore.encryption;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeyStatus;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.prf.PrfConfig;
import dev.polystore.IntegrityException;
import dev.polystore.Key;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HashSet;
import java.util.Set;

/**
 * Encrypts and decrypts payloads in the layer's stored format (docs/encryption.md, "Format"):
 *
 * <pre>
 * stored payload   = format (1 byte, 1) || Tink AEAD ciphertext (0x01 || key id, 4 bytes || nonce || data || tag)
 * plaintext inside = flags (1 byte; bit 0: the partition key is blinded)
 *                    [|| u16 BE length || the original partition key in UTF-8, when blinded]
 *                    || the payload
 * associated data  = {@link AssociatedData#of}(format, store, stored partition key, sort key)
 * </pre>
 *
 * Thread-safe.
 */
final class ItemCipher {
    static final int FORMAT = 1;
    private static final int TINK_PREFIX = 5;
    private static final byte TINK_START = 1;
    private static final int FLAG_BLINDED = 1;

    static {
        try {
            AeadConfig.register();
            PrfConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Aead aead;
    private final Set<Integer> enabledKeyIds;
    private final int primaryKeyId;
    private final int aeadOverhead;
    private final boolean bind;

    /** @throws GeneralSecurityException if the keyset is no AEAD keyset or a key has no Tink key id prefix */
    ItemCipher(KeysetHandle keyset) throws GeneralSecurityException {
        this(keyset, true);
    }

    /**
     * @param bind false only for the tests' deliberately broken layer (no associated data), which
     *             the tamper suite must catch; never reachable from configuration
     */
    ItemCipher(KeysetHandle keyset, boolean bind) throws GeneralSecurityException {
        this.bind = bind;
        Set<Integer> ids = new HashSet<>();
        for (int i = 0; i < keyset.size(); i++) {
            KeysetHandle.Entry e = keyset.getAt(i);
            if (e.getKey().getIdRequirementOrNull() == null) {
                throw new GeneralSecurityException("key " + Integer.toUnsignedString(e.getId())
                        + " has output prefix RAW; every key needs the TINK prefix (its key id in each ciphertext)");
            }
            if (e.getStatus() == KeyStatus.ENABLED) {
                ids.add(e.getId());
            }
        }
        this.aead = keyset.getPrimitive(RegistryConfiguration.get(), Aead.class);
        this.enabledKeyIds = Set.copyOf(ids);
        this.primaryKeyId = keyset.getPrimary().getId();
        this.aeadOverhead = aead.encrypt(new byte[0], new byte[0]).length;
    }

    private byte[] aad(String store, Key stored) {
        return bind ? AssociatedData.of(FORMAT, store, stored.pk(), stored.sk()) : new byte[0];
    }

    /** The key id new ciphertexts are made with. */
    int primaryKeyId() {
        return primaryKeyId;
    }

    /** Bytes the stored payload adds to the plaintext payload, without a blinded key inside. */
    int overhead() {
        return 1 + aeadOverhead + 1;
    }

    /** Bytes the stored payload adds when it carries {@code originalPk}. */
    int overhead(String originalPk) {
        return originalPk == null ? overhead() : overhead() + 2 + originalPk.getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * @param originalPk the caller's partition key when the stored one is blinded, else null
     */
    byte[] encrypt(String store, Key stored, String originalPk, byte[] payload) {
        byte[] pkBytes = originalPk == null ? null : originalPk.getBytes(StandardCharsets.UTF_8);
        ByteBuffer inner = ByteBuffer.allocate(1 + (pkBytes == null ? 0 : 2 + pkBytes.length) + payload.length);
        inner.put((byte) (pkBytes == null ? 0 : FLAG_BLINDED));
        if (pkBytes != null) {
            inner.putShort((short) pkBytes.length).put(pkBytes);
        }
        inner.put(payload);
        try {
            byte[] ct = aead.encrypt(inner.array(), aad(store, stored));
            byte[] out = new byte[1 + ct.length];
            out[0] = FORMAT;
            System.arraycopy(ct, 0, out, 1, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IntegrityException("could not encrypt the item " + stored + " of store '" + store + "'", store,
                    stored, e);
        }
    }

    /** The key id a stored payload names, or empty if it is too short or of another format. */
    static java.util.OptionalInt keyId(byte[] stored) {
        if (stored.length < 1 + TINK_PREFIX || stored[0] != FORMAT || stored[1] != TINK_START) {
            return java.util.OptionalInt.empty();
        }
        return java.util.OptionalInt.of(ByteBuffer.wrap(stored, 2, 4).getInt());
    }

    /** A decrypted item: the original partition key if it was blinded (else null), and the payload. */
    record Opened(String originalPk, byte[] payload) {
    }

    /**
     * @param shownKey the key to name in errors (the caller's, not the blinded one)
     * @throws IntegrityException if the payload is not a ciphertext of this store and stored key
     * @throws UnknownKeyException if it names a key id the keyset does not hold enabled
     */
    Opened decrypt(String store, Key stored, Key shownKey, byte[] payload) {
        java.util.OptionalInt id = keyId(payload);
        if (id.isEmpty()) {
            throw new IntegrityException("item " + shownKey + " of store '" + store + "' is not an encrypted item of"
                    + " format " + FORMAT + " (" + payload.length + " bytes): altered, truncated, or written around the"
                    + " encryption layer", store, shownKey, null);
        }
        if (!enabledKeyIds.contains(id.getAsInt())) {
            throw new UnknownKeyException("item " + shownKey + " of store '" + store + "' is encrypted under key id "
                    + Integer.toUnsignedString(id.getAsInt()) + ", which the keyset does not hold enabled (keys: "
                    + enabledKeyIds.stream().map(Integer::toUnsignedString).sorted().toList()
                    + "): a key removed before re-encryption, the wrong keyset, or an altered item",
                    store, shownKey, id.getAsInt());
        }
        byte[] inner;
        try {
            inner = aead.decrypt(java.util.Arrays.copyOfRange(payload, 1, payload.length),
                    aad(store, stored));
        } catch (GeneralSecurityException e) {
            throw new IntegrityException("item " + shownKey + " of store '" + store + "' failed authentication: its"
                    + " ciphertext was altered, or moved from another key or store", store, shownKey, e);
        }
        ByteBuffer b = ByteBuffer.wrap(inner);
        int flags = b.get();
        String originalPk = null;
        if ((flags & FLAG_BLINDED) != 0) {
            int len = Short.toUnsignedInt(b.getShort());
            byte[] pk = new byte[len];
            b.get(pk);
            originalPk = new String(pk, StandardCharsets.UTF_8);
        } else if (flags != 0) {
            throw new IntegrityException("item " + shownKey + " of store '" + store + "' has unknown flags " + flags,
                    store, shownKey, null);
        }
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return new Opened(originalPk, out);
    }
}
