package dev.polystore;

import java.util.Objects;

/**
 * Which sort keys of a partition a query reads. Bounds compare by UTF-8 bytes, like every
 * sort-key comparison in Polystore, and characters in a prefix are literal.
 *
 * <p>The factories check only for {@code null} (a {@link NullPointerException} naming the
 * argument). Bounds and prefixes follow the rules of sort keys — non-empty, at most
 * {@value Limits#MAX_SK_BYTES} UTF-8 bytes, no U+0000 and no unpaired surrogate — and a range
 * that breaks them is refused when a query uses it: the query's future fails with
 * {@link ValidationException} before anything is read, on every backend. Immutable and
 * thread-safe.
 */
public sealed interface KeyRange {

    /** Every sort key of the partition. Always valid. */
    static KeyRange all() {
        return All.INSTANCE;
    }

    /**
     * Sort keys starting with {@code prefix}, compared character by character ({@code %},
     * {@code _} and the backslash are literal). An empty prefix means every key, like {@link #all()}.
     * A query with a prefix over {@value Limits#MAX_SK_BYTES} UTF-8 bytes, or with U+0000 or an
     * unpaired surrogate, fails with {@link ValidationException}.
     *
     * @throws NullPointerException if {@code prefix} is null
     */
    static KeyRange prefix(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        return prefix.isEmpty() ? All.INSTANCE : new Prefix(prefix);
    }

    /**
     * Sort keys {@code k} with {@code from <= k <= to} (both inclusive; {@code from} equal to
     * {@code to} reads at most that one key). A query with {@code from} sorting after {@code to}
     * (by UTF-8 bytes, so U+FF61 sorts before U+10002, unlike in {@link String#compareTo}), or
     * with a bound that is not a valid sort key (empty, over {@value Limits#MAX_SK_BYTES} bytes,
     * U+0000, an unpaired surrogate), fails with {@link ValidationException} on every backend.
     *
     * @throws NullPointerException if {@code from} or {@code to} is null
     */
    static KeyRange between(String from, String to) {
        return new Between(Objects.requireNonNull(from, "from"), Objects.requireNonNull(to, "to"));
    }

    /**
     * Sort keys {@code k >= from}. A query whose {@code from} is not a valid sort key (empty,
     * over {@value Limits#MAX_SK_BYTES} bytes, U+0000, an unpaired surrogate) fails with
     * {@link ValidationException}; use {@link #all()} for every key.
     *
     * @throws NullPointerException if {@code from} is null
     */
    static KeyRange atLeast(String from) {
        return new AtLeast(Objects.requireNonNull(from, "from"));
    }

    /**
     * Sort keys {@code k <= to}. A query whose {@code to} is not a valid sort key (empty, over
     * {@value Limits#MAX_SK_BYTES} bytes, U+0000, an unpaired surrogate) fails with
     * {@link ValidationException}.
     *
     * @throws NullPointerException if {@code to} is null
     */
    static KeyRange atMost(String to) {
        return new AtMost(Objects.requireNonNull(to, "to"));
    }

    enum All implements KeyRange {
        INSTANCE
    }

    record Prefix(String prefix) implements KeyRange {
    }

    record Between(String from, String to) implements KeyRange {
    }

    record AtLeast(String from) implements KeyRange {
    }

    record AtMost(String to) implements KeyRange {
    }
}
