package dev.polystore.internal;

import dev.polystore.IndexSpec;
import dev.polystore.Key;
import dev.polystore.Limits;
import dev.polystore.ValidationException;
import dev.polystore.spi.SortKeys;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The declared indexes of one store view, and the entries they give an item. Immutable. */
final class IndexSet<T> {
    /** One entry of one item in one index. */
    record Entry(IndexSpec<?> spec, String indexKey, Key key) {
        boolean unique() {
            return spec.unique();
        }
    }

    private final String table;
    private final Map<String, IndexSpec<? super T>> specs = new LinkedHashMap<>();

    IndexSet(String table, List<IndexSpec<? super T>> declared) {
        this.table = table;
        for (IndexSpec<? super T> spec : declared) {
            specs.put(spec.name(), spec);
        }
    }

    String table() {
        return table;
    }

    List<String> names() {
        return List.copyOf(specs.keySet());
    }

    Optional<IndexSpec<? super T>> spec(String name) {
        return Optional.ofNullable(specs.get(name));
    }

    List<IndexSpec<? super T>> specs() {
        return List.copyOf(specs.values());
    }

    /** Every entry {@code value} gives the item at {@code item}, in every index. */
    List<Entry> entries(Key item, T value) {
        List<Entry> all = new ArrayList<>();
        for (IndexSpec<? super T> spec : specs.values()) {
            addEntries(all, spec, item, value);
        }
        return all;
    }

    /** The entries {@code value} gives the item at {@code item} in one index. */
    List<Entry> entries(IndexSpec<? super T> spec, Key item, T value) {
        List<Entry> some = new ArrayList<>();
        addEntries(some, spec, item, value);
        return some;
    }

    private void addEntries(List<Entry> out, IndexSpec<? super T> spec, Key item, T value) {
        List<String> keys = spec.keysOf(value);
        if (keys.isEmpty()) {
            return;
        }
        String sort = spec.sorted() ? spec.sortKeyOf(value).orElse(null) : null;
        if (spec.sorted() && sort == null) {
            return;
        }
        for (String k : keys) {
            String pk = IndexEntries.entryPk(spec.name(), k);
            String sk = spec.unique() ? IndexEntries.UNIQUE_SK : IndexEntries.entrySk(sort, item);
            int pkBytes = SortKeys.utf8Length(pk);
            if (pkBytes > Limits.MAX_PK_BYTES) {
                throw new ValidationException("a key of index '" + spec.name() + "' of store '" + table + "' is too long: "
                        + "its entry's partition key (\"" + IndexEntries.RESERVED_PREFIX + spec.name() + "/\" + the key) "
                        + "would be " + pkBytes + " bytes in UTF-8; the portable limit is " + Limits.MAX_PK_BYTES
                        + ", nothing was written");
            }
            int skBytes = SortKeys.utf8Length(sk);
            if (skBytes > Limits.MAX_SK_BYTES) {
                throw new ValidationException("item " + item + " is too long to index in '" + spec.name() + "' of store '"
                        + table + "': its entry's sort key (" + (sort == null ? "" : "the sort key, ")
                        + "the item's partition key and sort key, with separators) would be " + skBytes
                        + " bytes in UTF-8; the portable limit is " + Limits.MAX_SK_BYTES + ", nothing was written");
            }
            out.add(new Entry(spec, k, new Key(pk, sk)));
        }
    }
}
