package dev.polystore.internal;

import dev.polystore.Index;
import dev.polystore.IndexNotReadyException;
import dev.polystore.IndexQuery;
import dev.polystore.IndexSpec;
import dev.polystore.IndexStatus;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.KeyRange;
import dev.polystore.Limits;
import dev.polystore.Page;
import dev.polystore.StoreException;
import dev.polystore.ValidationException;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.SortKeys;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** {@link Index} over the entries {@link IndexedWrites} keeps: a query of one entry partition per key. */
final class DefaultIndex<T> implements Index<T> {
    private final DefaultStorage storage;
    private final DefaultStore<T> store;
    private final IndexSpec<? super T> spec;
    private final String table;

    DefaultIndex(DefaultStorage storage, DefaultStore<T> store, IndexSpec<? super T> spec) {
        this.storage = storage;
        this.store = store;
        this.spec = spec;
        this.table = store.name();
    }

    @Override
    public String name() {
        return spec.name();
    }

    @Override
    public String store() {
        return table;
    }

    @Override
    public boolean unique() {
        return spec.unique();
    }

    @Override
    public boolean sorted() {
        return spec.sorted();
    }

    private IndexCatalog catalog() {
        return storage.indexCatalog(table);
    }

    /** Completes when the index is built (reading the catalog again if this storage last saw it building). */
    private CompletableFuture<Void> ready() {
        return catalog().view().thenCompose(v -> {
            if (v.state(spec.name()) == IndexStatus.State.READY) {
                return CompletableFuture.completedFuture(null);
            }
            return catalog().refresh().thenCompose(fresh -> fresh.state(spec.name()) == IndexStatus.State.READY
                    ? CompletableFuture.<Void>completedFuture(null)
                    : status().thenCompose(s -> CompletableFuture.<Void>failedFuture(new IndexNotReadyException(s))));
        });
    }

    private String entryPk(String key) {
        Objects.requireNonNull(key, "key");
        SortKeys.utf8Length(key, "index key");
        String pk = IndexEntries.entryPk(spec.name(), key);
        int bytes = SortKeys.utf8Length(pk);
        if (bytes > Limits.MAX_PK_BYTES) {
            throw new ValidationException("index key of " + Keys.utf8Length(key) + " bytes is longer than any key of index '"
                    + spec.name() + "' can be (its entries' partition keys would be " + bytes + " bytes; the limit is "
                    + Limits.MAX_PK_BYTES + ")");
        }
        return pk;
    }

    private QuerySpec toSpec(IndexQuery q) {
        String pk = entryPk(q.key());
        KeyRange range = q.range();
        if (!(range instanceof KeyRange.All)) {
            if (!spec.sorted()) {
                throw new ValidationException("index '" + spec.name() + "' of store '" + table + "' has no sort key, so a "
                        + "query of it cannot select a range (" + range + "); declare it with sortedBy(...)");
            }
            Keys.requireValid(range);
        }
        KeyRange entries = IndexEntries.entryRange(range);
        String start = q.cursor().map(c -> storage.cursors().decode(c, table, pk, entries, q.direction())).orElse(null);
        return new QuerySpec(table, pk, entries, q.limit(), q.direction(), start);
    }

    @Override
    public CompletableFuture<Page<T>> query(IndexQuery query) {
        QuerySpec qs;
        try {
            qs = toSpec(Objects.requireNonNull(query, "query"));
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return ready().thenCompose(v -> fetchNonEmpty(qs)).thenApply(raw -> toPage(qs, raw));
    }

    /** One page of entries: of the native accelerator (items, joined by the engine), or of the entry items. */
    private CompletableFuture<RawPage> fetch(QuerySpec qs) {
        dev.polystore.spi.IndexAccelerator accelerator = storage.accelerator();
        return accelerator != null ? storage.call(table, () -> accelerator.query(qs))
                : storage.call(table, () -> storage.spi().query(qs));
    }

    /** Reads pages until one has items or the query ends (engines may return empty pages). */
    private CompletableFuture<RawPage> fetchNonEmpty(QuerySpec qs) {
        return fetch(qs).thenCompose(raw -> {
            if (raw.items().isEmpty() && raw.lastEvaluatedSk() != null) {
                if (raw.lastEvaluatedSk().equals(qs.exclusiveStartSk())) {
                    return CompletableFuture.failedFuture(new StoreException("backend '" + storage.backend()
                            + "' returned an empty page that does not advance"));
                }
                return fetchNonEmpty(new QuerySpec(qs.table(), qs.pk(), qs.range(), qs.limit(), qs.direction(),
                        raw.lastEvaluatedSk()));
            }
            return CompletableFuture.completedFuture(raw);
        });
    }

    private Page<T> toPage(QuerySpec qs, RawPage raw) {
        List<Item<T>> items = new ArrayList<>(raw.items().size());
        for (RawItem r : raw.items()) {
            items.add(fromEntry(r));
        }
        Optional<String> next = raw.lastEvaluatedSk() == null ? Optional.empty()
                : Optional.of(storage.cursors().encode(table, qs.pk(), qs.range(), qs.direction(), raw.lastEvaluatedSk()));
        return new Page<>(items, next);
    }

    private Item<T> fromEntry(RawItem entry) {
        if (storage.accelerator() != null) {
            // A native entry's page holds the item itself.
            return Item.stored(entry.key(), store.decodeValue(entry.key(), entry.payload()), entry.version(),
                    entry.expiresAt());
        }
        IndexEntries.Copy copy = IndexEntries.decode(table, entry.key(), entry.payload());
        return Item.stored(copy.key(), store.decodeValue(copy.key(), copy.payload()), copy.version(), entry.expiresAt());
    }

    @Override
    public CompletableFuture<List<Item<T>>> query(String key) {
        List<Item<T>> all = new ArrayList<>();
        IndexQuery q;
        try {
            q = IndexQuery.key(key).limit(Limits.MAX_PAGE_SIZE);
        } catch (StoreException | NullPointerException e) {
            return CompletableFuture.failedFuture(e);
        }
        return forEach(q, all::add).thenApply(n -> Collections.unmodifiableList(all));
    }

    @Override
    public CompletableFuture<Optional<Item<T>>> get(String key) {
        Key entry;
        try {
            if (!spec.unique()) {
                throw new ValidationException("index '" + spec.name() + "' of store '" + table + "' is not unique: "
                        + "several items may have one key; use query(key)");
            }
            entry = new Key(entryPk(key), IndexEntries.UNIQUE_SK);
        } catch (StoreException | NullPointerException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (storage.accelerator() != null) {
            QuerySpec one = new QuerySpec(table, entry.pk(), KeyRange.all(), 1, dev.polystore.Direction.ASCENDING, null);
            return ready().thenCompose(v -> fetch(one))
                    .thenApply(page -> page.items().stream().findFirst().map(this::fromEntry));
        }
        return ready().thenCompose(v -> storage.call(table, () -> storage.spi().get(table, entry)))
                .thenApply(found -> found.map(this::fromEntry));
    }

    @Override
    public CompletableFuture<Long> forEach(IndexQuery query, Consumer<? super Item<T>> action) {
        Objects.requireNonNull(action, "action");
        CompletableFuture<Long> done = new CompletableFuture<>();
        readPages(query, action, 0L, done);
        return done;
    }

    private void readPages(IndexQuery query, Consumer<? super Item<T>> action, long countSoFar,
                           CompletableFuture<Long> done) {
        IndexQuery current = query;
        long count = countSoFar;
        while (true) {
            CompletableFuture<Page<T>> next = query(current);
            if (!next.isDone()) {
                IndexQuery q = current;
                long c = count;
                next.whenComplete((page, e) -> {
                    if (e != null) {
                        done.completeExceptionally(Futures.unwrap(e));
                        return;
                    }
                    long n;
                    try {
                        page.items().forEach(action);
                        n = c + page.items().size();
                    } catch (RuntimeException ex) {
                        done.completeExceptionally(ex);
                        return;
                    }
                    if (page.cursor().isEmpty()) {
                        done.complete(n);
                    } else {
                        readPages(q.after(page.cursor().get()), action, n, done);
                    }
                });
                return;
            }
            Page<T> page;
            try {
                page = next.join();
                page.items().forEach(action);
                count += page.items().size();
            } catch (RuntimeException e) {
                done.completeExceptionally(Futures.unwrap(e));
                return;
            }
            if (page.cursor().isEmpty()) {
                done.complete(count);
                return;
            }
            current = current.after(page.cursor().get());
        }
    }

    @Override
    public CompletableFuture<IndexStatus> status() {
        return catalog().refresh().thenCompose(v -> IndexBuild.status(storage, table, spec.name(),
                v.state(spec.name())));
    }

    @Override
    public CompletableFuture<IndexStatus> build() {
        return build(Long.MAX_VALUE);
    }

    @Override
    public CompletableFuture<IndexStatus> build(long maxItems) {
        if (maxItems < 1) {
            return CompletableFuture.failedFuture(new ValidationException("maxItems must be at least 1, got " + maxItems));
        }
        return IndexBuild.run(storage, store, spec, maxItems);
    }

    @Override
    public String toString() {
        return "Index{" + table + "." + spec.name() + "}";
    }
}
