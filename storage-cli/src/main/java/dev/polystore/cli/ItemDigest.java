package dev.polystore.cli;

import dev.polystore.Key;
import dev.polystore.migration.StoredItem;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The hashes {@link Verifier} and {@link ExportFile} agree on: 64 bits of SHA-256 over an item's
 * key, version, expiry and payload, summed (mod 2^64) into order-independent digests; and the
 * bucket of a key, from its key alone, so both sides of a verification put a key in the same
 * bucket whatever their scan order.
 */
final class ItemDigest {
    private ItemDigest() {
    }

    static long of(StoredItem item) {
        MessageDigest sha = sha256();
        updateKey(sha, item.key());
        ByteBuffer meta = ByteBuffer.allocate(16);
        meta.putLong(item.version());
        meta.putLong(item.expiresAt() == null ? -1 : item.expiresAt().getEpochSecond());
        sha.update(meta.array());
        sha.update(item.payload());
        return ByteBuffer.wrap(sha.digest()).getLong();
    }

    static int bucket(Key key, int buckets) {
        MessageDigest sha = sha256();
        updateKey(sha, key);
        return Math.floorMod(ByteBuffer.wrap(sha.digest()).getInt(), buckets);
    }

    static String hex(long digest) {
        return String.format("%016x", digest);
    }

    private static void updateKey(MessageDigest sha, Key key) {
        byte[] pk = key.pk().getBytes(StandardCharsets.UTF_8);
        byte[] sk = key.sk().getBytes(StandardCharsets.UTF_8);
        sha.update(ByteBuffer.allocate(8).putInt(pk.length).putInt(sk.length).array());
        sha.update(pk);
        sha.update(sk);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
