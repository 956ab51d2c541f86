package dev.polystore.encryption;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The associated data each ciphertext is bound to: a versioned, length-prefixed encoding of the
 * format version, the store name and the stored key, so that a ciphertext moved to another key or
 * store fails to decrypt.
 *
 * <pre>
 * byte     format version (1)
 * u32 BE   length of the store name in UTF-8, then its bytes
 * u32 BE   length of the stored partition key in UTF-8, then its bytes
 * u32 BE   length of the sort key in UTF-8, then its bytes
 * </pre>
 *
 * Length prefixes make the encoding injective: ({@code "ab", "c"}) and ({@code "a", "bc"}) differ.
 * The stored partition key is the one the engine holds (blinded where the layer blinds it).
 */
final class AssociatedData {
    private AssociatedData() {
    }

    static byte[] of(int formatVersion, String store, String storedPk, String sk) {
        byte[] t = store.getBytes(StandardCharsets.UTF_8);
        byte[] p = storedPk.getBytes(StandardCharsets.UTF_8);
        byte[] s = sk.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 12 + t.length + p.length + s.length);
        b.put((byte) formatVersion);
        b.putInt(t.length).put(t);
        b.putInt(p.length).put(p);
        b.putInt(s.length).put(s);
        return b.array();
    }
}
