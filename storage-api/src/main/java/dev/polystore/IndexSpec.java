package dev.polystore;

import dev.polystore.spi.SortKeys;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A declared secondary index of a store: a name, a function from a value to the index keys it is
 * found under (zero, one or several), optionally a sort key derived from the value that orders the
 * items of one index key, and whether the index is unique. Passed to
 * {@link Storage#store(String, Class, StoreOptions)}; queried through {@link Store#index(String)}.
 *
 * <pre>{@code
 * IndexSpec<Ticket> byStatus = IndexSpec.of("byStatus", Ticket::status).sortedBy(t -> t.openedAt().toString());
 * IndexSpec<User> byEmail = IndexSpec.unique("byEmail", User::email);
 * IndexSpec<Note> byTag = IndexSpec.multi("byTag", Note::tags);
 * }</pre>
 *
 * <p><b>What the functions must be.</b> Pure and deterministic: the same value gives the same keys
 * every time, on every machine, in every version of the application. The store recomputes the
 * keys of the value an item had before a write to find the entries to remove, so a function that
 * changes its answer for an old value leaves entries it can no longer find. To change what an index
 * computes, declare an index under a new name. A function must not block or call the storage.
 *
 * <p><b>Keys.</b> Index keys and sort keys are strings compared by UTF-8 bytes, like sort keys.
 * A {@code null} key (or an empty collection) puts the value in no entry of this index; so does a
 * {@code null} sort key on a sorted index (like an item without the sort attribute of a DynamoDB
 * index). Repeated keys count once. Keys must be valid Unicode without U+0000; the byte limits they
 * must fit are in {@code docs/indexes.md}. A key function that throws fails the write with
 * {@link ValidationException}, before anything is written.
 *
 * <p>Immutable and thread-safe if the functions are; {@link #sortedBy} returns a new spec. Two
 * specs are equal when they have the same name, uniqueness and sortedness (the functions cannot be
 * compared), which is what a store's catalog records.
 *
 * @param <T> the value type the functions read
 */
public final class IndexSpec<T> {
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");

    private final String name;
    private final Function<? super T, ? extends Collection<String>> keys;
    private final Function<? super T, String> sortKey;
    private final boolean unique;

    private IndexSpec(String name, Function<? super T, ? extends Collection<String>> keys,
                      Function<? super T, String> sortKey, boolean unique) {
        this.name = requireName(name);
        this.keys = Objects.requireNonNull(keys, "keys");
        this.sortKey = sortKey;
        this.unique = unique;
    }

    /**
     * An index with at most one key per value: {@code key} returns the key, or {@code null} to
     * leave the value out of the index. Many items may share a key.
     *
     * @param name 1 to 64 characters {@code [A-Za-z][A-Za-z0-9_]*}, unique within the store
     * @throws IllegalArgumentException if the name does not fit that rule
     */
    public static <T> IndexSpec<T> of(String name, Function<? super T, String> key) {
        Objects.requireNonNull(key, "key");
        return new IndexSpec<>(name, single(key), null, false);
    }

    /**
     * A unique index: at most one item of the store has a given key (an e-mail address, say). A
     * write that would give a second item the same key fails with
     * {@link UniqueIndexViolationException} and writes nothing. Unique indexes have no sort key.
     *
     * @throws IllegalArgumentException if the name does not fit the rule of {@link #of}
     */
    public static <T> IndexSpec<T> unique(String name, Function<? super T, String> key) {
        Objects.requireNonNull(key, "key");
        return new IndexSpec<>(name, single(key), null, true);
    }

    /**
     * An index with zero or more keys per value (tags, say): {@code keys} returns them; {@code null}
     * or an empty collection leaves the value out. Each key costs one entry, written in the same
     * transaction as the item (see {@code docs/indexes.md} for what that costs).
     *
     * @throws IllegalArgumentException if the name does not fit the rule of {@link #of}
     */
    public static <T> IndexSpec<T> multi(String name, Function<? super T, ? extends Collection<String>> keys) {
        return new IndexSpec<>(name, Objects.requireNonNull(keys, "keys"), null, false);
    }

    /**
     * A copy whose items of one index key are ordered by {@code sortKey} (UTF-8 order), then by
     * item key; queries may then select a range of sort keys. Without a sort key, the items of
     * one index key are ordered by item key (partition key, then sort key).
     *
     * @throws IllegalStateException if this index is unique (one item per key needs no order) or
     *                               already has a sort key
     */
    public IndexSpec<T> sortedBy(Function<? super T, String> sortKey) {
        Objects.requireNonNull(sortKey, "sortKey");
        if (unique) {
            throw new IllegalStateException("index '" + name + "' is unique: it holds one item per key, so a sort key "
                    + "would order nothing");
        }
        if (this.sortKey != null) {
            throw new IllegalStateException("index '" + name + "' already has a sort key");
        }
        return new IndexSpec<>(name, keys, sortKey, false);
    }

    /** The index's name: what {@link Store#index(String)} and the store's catalog know it by. */
    public String name() {
        return name;
    }

    /** Whether at most one item may have each key. */
    public boolean unique() {
        return unique;
    }

    /** Whether the items of one key are ordered by a sort key derived from the value. */
    public boolean sorted() {
        return sortKey != null;
    }

    /**
     * The distinct index keys of {@code value}, in the order the function gave them; empty when
     * the value is in no entry of this index (also when a sorted index's sort key is {@code null}).
     *
     * @throws ValidationException if a function throws, or gives a key that is not valid Unicode
     *                             or contains U+0000
     */
    public List<String> keysOf(T value) {
        Collection<String> found;
        String sort;
        try {
            found = keys.apply(value);
            sort = sortKey == null ? "" : sortKey.apply(value);
        } catch (RuntimeException e) {
            throw new ValidationException("the key function of index '" + name + "' failed on a "
                    + (value == null ? "null value" : value.getClass().getName()) + ": " + e, e);
        }
        if (found == null || found.isEmpty() || sort == null) {
            return List.of();
        }
        Set<String> distinct = new LinkedHashSet<>();
        for (String k : found) {
            if (k == null) {
                throw new ValidationException("the key function of index '" + name + "' returned a collection with a "
                        + "null key; leave the key out instead");
            }
            SortKeys.utf8Length(k, "a key of index '" + name + "'");
            distinct.add(k);
        }
        return List.copyOf(distinct);
    }

    /**
     * The sort key of {@code value}: empty for an index without one, or when the function gives
     * {@code null} (the value is then in no entry).
     *
     * @throws ValidationException if the function throws or gives an invalid string
     */
    public Optional<String> sortKeyOf(T value) {
        if (sortKey == null) {
            return Optional.empty();
        }
        String sort;
        try {
            sort = sortKey.apply(value);
        } catch (RuntimeException e) {
            throw new ValidationException("the sort key function of index '" + name + "' failed on a "
                    + (value == null ? "null value" : value.getClass().getName()) + ": " + e, e);
        }
        if (sort != null) {
            SortKeys.utf8Length(sort, "the sort key of index '" + name + "'");
        }
        return Optional.ofNullable(sort);
    }

    private static <T> Function<T, List<String>> single(Function<? super T, String> key) {
        return v -> {
            String k = key.apply(v);
            if (k == null) {
                return List.of();
            }
            List<String> one = new ArrayList<>(1);
            one.add(k);
            return one;
        };
    }

    private static String requireName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("index name \"" + name + "\" is not allowed: use 1 to 64 letters, "
                    + "digits and '_', starting with a letter");
        }
        return name;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IndexSpec<?> other && name.equals(other.name) && unique == other.unique
                && sorted() == other.sorted();
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, unique, sorted());
    }

    @Override
    public String toString() {
        return "IndexSpec{" + name + (unique ? ", unique" : "") + (sorted() ? ", sorted" : "") + "}";
    }
}
