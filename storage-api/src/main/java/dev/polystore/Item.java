package dev.polystore;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable item: a key, a value, the version the store gave it and an optional expiry.
 *
 * <p>Build one to write with {@link #of(String, String, Object)}; items read from a store
 * carry their {@link #version()} (1 after the first write, +1 on every write since), which
 * is what {@link Condition#ifVersion(long)} compares against.
 *
 * <p>Expiry has second precision: the instant is truncated to whole seconds. An item whose
 * expiry has passed is never returned by any read, even where the engine deletes it later.
 *
 * @param <T> the value type
 */
public final class Item<T> {
    private final Key key;
    private final T value;
    private final long version;
    private final Instant expiresAt;

    private Item(Key key, T value, long version, Instant expiresAt) {
        this.key = Objects.requireNonNull(key, "key");
        this.value = Objects.requireNonNull(value, "value");
        this.version = version;
        this.expiresAt = expiresAt == null ? null : Instant.ofEpochSecond(expiresAt.getEpochSecond());
    }

    /** An item to write, not yet stored (version 0), without expiry. */
    public static <T> Item<T> of(String pk, String sk, T value) {
        return new Item<>(Key.of(pk, sk), value, 0, null);
    }

    /** An item to write, not yet stored (version 0), without expiry. */
    public static <T> Item<T> of(Key key, T value) {
        return new Item<>(key, value, 0, null);
    }

    /** An item as read from a store; for backends and codecs, not usually called by users. */
    public static <T> Item<T> stored(Key key, T value, long version, Instant expiresAt) {
        return new Item<>(key, value, version, expiresAt);
    }

    public Key key() {
        return key;
    }

    public String pk() {
        return key.pk();
    }

    public String sk() {
        return key.sk();
    }

    public T value() {
        return value;
    }

    /** The stored version; 0 for an item that has not been written yet. */
    public long version() {
        return version;
    }

    /** When the item expires, truncated to whole seconds; empty if it never does. */
    public Optional<Instant> expiresAt() {
        return Optional.ofNullable(expiresAt);
    }

    /** A copy with another value (same key, version and expiry). */
    public <U> Item<U> withValue(U newValue) {
        return new Item<>(key, newValue, version, expiresAt);
    }

    /** A copy that expires at {@code instant} (truncated to seconds), or never if {@code null}. */
    public Item<T> withExpiry(Instant instant) {
        return new Item<>(key, value, version, instant);
    }

    /** A copy with this version; used by stores to report what they wrote. */
    public Item<T> withVersion(long newVersion) {
        return new Item<>(key, value, newVersion, expiresAt);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Item<?> other
                && key.equals(other.key)
                && value.equals(other.value)
                && version == other.version
                && Objects.equals(expiresAt, other.expiresAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, value, version, expiresAt);
    }

    @Override
    public String toString() {
        return "Item" + key + " v" + version + (expiresAt == null ? "" : " expires " + expiresAt) + ": " + value;
    }
}
