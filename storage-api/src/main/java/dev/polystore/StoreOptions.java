package dev.polystore;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * How a store is opened beyond its name and codec: today, its declared secondary indexes.
 * Passed to {@link Storage#store(String, Class, StoreOptions)}.
 *
 * <pre>{@code
 * Store<User> users = storage.store("users", User.class, StoreOptions.indexes(
 *         IndexSpec.unique("byEmail", User::email),
 *         IndexSpec.of("byTeam", User::team).sortedBy(User::name)));
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param <T> the value type of the store
 */
public final class StoreOptions<T> {
    private static final StoreOptions<?> NONE = new StoreOptions<>(List.of());

    private final List<IndexSpec<? super T>> indexes;

    private StoreOptions(List<IndexSpec<? super T>> indexes) {
        this.indexes = indexes;
    }

    /** No option: the same store {@link Storage#store(String, Class)} gives. */
    @SuppressWarnings("unchecked")
    public static <T> StoreOptions<T> none() {
        return (StoreOptions<T>) NONE;
    }

    /**
     * A store with these indexes, each kept in the same atomic write as the items (which needs
     * {@link Capability#TRANSACTIONS}).
     *
     * @throws IllegalArgumentException if two indexes have the same name
     */
    @SafeVarargs
    public static <T> StoreOptions<T> indexes(IndexSpec<? super T>... indexes) {
        List<IndexSpec<? super T>> list = new ArrayList<>(indexes.length);
        for (IndexSpec<? super T> spec : indexes) {
            list.add(spec);
        }
        return StoreOptions.<T>indexes(list);
    }

    /**
     * A store with these indexes.
     *
     * @throws IllegalArgumentException if two indexes have the same name
     */
    public static <T> StoreOptions<T> indexes(List<? extends IndexSpec<? super T>> indexes) {
        Objects.requireNonNull(indexes, "indexes");
        List<IndexSpec<? super T>> copy = new ArrayList<>(indexes.size());
        Set<String> names = new HashSet<>();
        for (IndexSpec<? super T> spec : indexes) {
            Objects.requireNonNull(spec, "index");
            if (!names.add(spec.name())) {
                throw new IllegalArgumentException("index '" + spec.name() + "' is declared twice; index names must be "
                        + "distinct within a store");
            }
            copy.add(spec);
        }
        return new StoreOptions<T>(List.copyOf(copy));
    }

    /** The declared indexes, in declaration order. */
    public List<IndexSpec<? super T>> indexes() {
        return indexes;
    }

    @Override
    public String toString() {
        return "StoreOptions{indexes=" + indexes + "}";
    }
}
