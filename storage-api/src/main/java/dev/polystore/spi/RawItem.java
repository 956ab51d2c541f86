package dev.polystore.spi;

import dev.polystore.Key;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * An item as a backend stores it: key, opaque payload, version and optional expiry. This is
 * the whole portable item layout; the same item can be copied between engines as it is.
 *
 * @param key the item's key
 * @param payload the encoded value; backends store these bytes exactly
 * @param version 1 after the first write, +1 on every write since
 * @param expiresAt when the item expires (whole seconds), or null if never
 */
public record RawItem(Key key, byte[] payload, long version, Instant expiresAt) {
    public RawItem {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(payload, "payload");
    }

    /** Whether the item has expired at {@code now}: an expired item is treated as absent. */
    public boolean expiredAt(Instant now) {
        return expiresAt != null && !now.isBefore(expiresAt);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RawItem other
                && key.equals(other.key)
                && Arrays.equals(payload, other.payload)
                && version == other.version
                && Objects.equals(expiresAt, other.expiresAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, Arrays.hashCode(payload), version, expiresAt);
    }

    @Override
    public String toString() {
        return "RawItem" + key + " v" + version + " " + payload.length + " bytes"
                + (expiresAt == null ? "" : " expires " + expiresAt);
    }
}
