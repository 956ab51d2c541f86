package dev.polystore.encryption;

import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.prf.PrfSet;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * Replaces the partition keys that carry values by keyed-HMAC "blind" keys (docs/encryption.md,
 * "What stays visible"): the document store's search postings ({@code term#<term>} in store
 * {@value #DOCUMENTS}) and secondary index entries ({@code ~ix/<index>/<key>} in any store). A
 * query of one exact term or index key is a query of one partition, so it keeps working on the
 * blind key; nothing else reads those partitions by key order. The blind key is
 * {@code <prefix>~} followed by the unpadded base64url of 32 bytes of the primary PRF
 * (HMAC-SHA256) over the length-prefixed store name and partition key.
 *
 * <p>Thread-safe.
 */
final class KeyBlinder {
    /** The document store's table (DefaultDocumentStore.TABLE). */
    static final String DOCUMENTS = "documents";
    static final String TERM_PREFIX = "term#";
    static final String INDEX_PREFIX = "~ix/";
    private static final byte[] LABEL = "polystore.blind.v1".getBytes(StandardCharsets.UTF_8);

    private final PrfSet prf;

    KeyBlinder(KeysetHandle keyset) throws GeneralSecurityException {
        this.prf = keyset.getPrimitive(RegistryConfiguration.get(), PrfSet.class);
    }

    /** The partition key stored for {@code pk} in {@code store}: blinded, or {@code pk} itself. */
    String storedPk(String store, String pk) {
        String prefix = blindPrefix(store, pk);
        return prefix == null ? pk : prefix + "~" + mac(store, pk);
    }

    /** The part kept in the clear of a partition key the layer blinds, or null if it is not blinded. */
    static String blindPrefix(String store, String pk) {
        if (DOCUMENTS.equals(store) && pk.startsWith(TERM_PREFIX)) {
            return TERM_PREFIX;
        }
        if (pk.startsWith(INDEX_PREFIX)) {
            int slash = pk.indexOf('/', INDEX_PREFIX.length());
            if (slash > INDEX_PREFIX.length()) {
                return pk.substring(0, slash + 1);
            }
        }
        return null;
    }

    private String mac(String store, String pk) {
        byte[] s = store.getBytes(StandardCharsets.UTF_8);
        byte[] p = pk.getBytes(StandardCharsets.UTF_8);
        ByteBuffer in = ByteBuffer.allocate(LABEL.length + 8 + s.length + p.length);
        in.put(LABEL).putInt(s.length).put(s).putInt(p.length).put(p);
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(prf.computePrimary(in.array(), 32));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("blind key computation failed", e);
        }
    }
}
