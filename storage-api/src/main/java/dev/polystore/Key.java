package dev.polystore;

import java.util.Objects;

/**
 * The address of an item: a partition key and a sort key. Both must be non-empty; see
 * {@link Limits} for the portable rules every backend enforces.
 *
 * @param pk partition key: items with the same {@code pk} are queried together
 * @param sk sort key: orders items within a partition, by UTF-8 bytes
 */
public record Key(String pk, String sk) {
    public Key {
        Objects.requireNonNull(pk, "pk");
        Objects.requireNonNull(sk, "sk");
    }

    public static Key of(String pk, String sk) {
        return new Key(pk, sk);
    }

    @Override
    public String toString() {
        return "(" + pk + ", " + sk + ")";
    }
}
