package dev.polystore;

import java.util.Objects;

/**
 * Which sort keys of a partition a query reads. Bounds compare by UTF-8 bytes, like every
 * sort-key comparison in Polystore, and characters in a prefix are literal.
 */
public sealed interface KeyRange {

    /** Every sort key of the partition. */
    static KeyRange all() {
        return All.INSTANCE;
    }

    /** Sort keys starting with {@code prefix} (an empty prefix means every key). */
    static KeyRange prefix(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        return prefix.isEmpty() ? All.INSTANCE : new Prefix(prefix);
    }

    /** Sort keys {@code k} with {@code from <= k <= to} (both inclusive). */
    static KeyRange between(String from, String to) {
        return new Between(Objects.requireNonNull(from, "from"), Objects.requireNonNull(to, "to"));
    }

    /** Sort keys {@code k >= from}. */
    static KeyRange atLeast(String from) {
        return new AtLeast(Objects.requireNonNull(from, "from"));
    }

    /** Sort keys {@code k <= to}. */
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
