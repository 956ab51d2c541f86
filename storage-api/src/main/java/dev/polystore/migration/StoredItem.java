package dev.polystore.migration;

import dev.polystore.Key;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * An item as an engine stores it: key, payload bytes (the codec's output, opaque here), version
 * and expiry. What {@link Migration} reads and imports; the same item on every engine.
 *
 * @param key the item's key
 * @param payload the encoded value; never copied by this record (callers own the array)
 * @param version 1 after the first write, +1 on every write since
 * @param expiresAt when the item expires (whole seconds), or null if it never does
 */
public record StoredItem(Key key, byte[] payload, long version, Instant expiresAt) {
    public StoredItem {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(payload, "payload");
    }

    /** Whether the item has expired at {@code now} (then it counts as absent). */
    public boolean expiredAt(Instant now) {
        return expiresAt != null && !now.isBefore(expiresAt);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredItem other && key.equals(other.key) && Arrays.equals(payload, other.payload)
                && version == other.version && Objects.equals(expiresAt, other.expiresAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, Arrays.hashCode(payload), version, expiresAt);
    }

    /** Sizes only: never a key or a value in a string that may reach a log. */
    @Override
    public String toString() {
        return "StoredItem[v" + version + ", " + payload.length + " bytes" + (expiresAt == null ? "" : ", expires " + expiresAt)
                + "]";
    }
}
