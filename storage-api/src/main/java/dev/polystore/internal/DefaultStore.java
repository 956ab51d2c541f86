package dev.polystore.internal;

import dev.polystore.BatchWriteException;
import dev.polystore.Capability;
import dev.polystore.Codec;
import dev.polystore.CodecException;
import dev.polystore.Condition;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.KeyRange;
import dev.polystore.Limits;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Page;
import dev.polystore.Query;
import dev.polystore.Store;
import dev.polystore.StoreException;
import dev.polystore.ValidationException;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.WriteOp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** {@link Store} over the SPI: validation, encoding, cursors, batching; the backend does the rest. */
final class DefaultStore<T> implements Store<T> {
    private final DefaultStorage storage;
    private final String table;
    private final Codec<T> codec;
    /** The declared secondary indexes, or null for a store opened without any. */
    private final IndexSet<T> indexes;

    DefaultStore(DefaultStorage storage, String table, Codec<T> codec) {
        this(storage, table, codec, null);
    }

    DefaultStore(DefaultStorage storage, String table, Codec<T> codec, IndexSet<T> indexes) {
        this.storage = storage;
        this.table = table;
        this.codec = codec;
        this.indexes = indexes;
    }

    @Override
    public String name() {
        return table;
    }

    DefaultStorage storage() {
        return storage;
    }

    @Override
    public CompletableFuture<Optional<Item<T>>> get(String pk, String sk) {
        Key key;
        try {
            key = validKey(pk, sk);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return storage.call(table, () -> storage.spi().get(table, key))
                .thenApply(found -> found.map(this::decode));
    }

    @Override
    public CompletableFuture<Item<T>> put(Item<T> item) {
        return put(item, Condition.none());
    }

    @Override
    public CompletableFuture<Item<T>> put(Item<T> item, Condition condition) {
        WriteOp.Put op;
        try {
            Objects.requireNonNull(item, "item");
            Objects.requireNonNull(condition, "condition");
            op = toPut(item, condition);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (indexes != null) {
            return IndexedWrites.commit(storage, List.of(new IndexedWrites.Op(this, op, item.value())), false)
                    .thenApply(r -> item.withVersion(r.versions().get(0)));
        }
        return storage.call(table, () -> storage.spi().put(op)).thenApply(item::withVersion);
    }

    @Override
    public CompletableFuture<Boolean> delete(String pk, String sk) {
        return delete(pk, sk, Condition.none());
    }

    @Override
    public CompletableFuture<Boolean> delete(String pk, String sk, Condition condition) {
        WriteOp.Delete op;
        try {
            Objects.requireNonNull(condition, "condition");
            op = toDelete(validKey(pk, sk), condition);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (indexes != null) {
            return IndexedWrites.commit(storage, List.of(new IndexedWrites.Op(this, op, null)), false)
                    .thenApply(r -> r.existed().get(0));
        }
        return storage.call(table, () -> storage.spi().delete(op));
    }

    @Override
    public CompletableFuture<List<Item<T>>> query(String pk, String skPrefix) {
        List<Item<T>> all = new ArrayList<>();
        Query query;
        try {
            query = Query.partition(pk).prefix(Objects.requireNonNull(skPrefix, "skPrefix")).limit(Limits.MAX_PAGE_SIZE);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return forEach(query, all::add).thenApply(n -> Collections.unmodifiableList(all));
    }

    @Override
    public CompletableFuture<Page<T>> query(Query query) {
        QuerySpec spec;
        try {
            spec = toSpec(Objects.requireNonNull(query, "query"));
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return fetchNonEmpty(spec).thenApply(raw -> toPage(query, raw));
    }

    /** Reads pages until one has items or the query ends (engines may return empty pages). */
    private CompletableFuture<RawPage> fetchNonEmpty(QuerySpec spec) {
        return storage.call(table, () -> storage.spi().query(spec)).thenCompose(raw -> {
            if (raw.items().isEmpty() && raw.lastEvaluatedSk() != null) {
                if (spec.exclusiveStartSk() != null && spec.exclusiveStartSk().equals(raw.lastEvaluatedSk())) {
                    return CompletableFuture.failedFuture(new StoreException("backend '" + storage.backend()
                            + "' returned an empty page that does not advance past " + raw.lastEvaluatedSk()));
                }
                return fetchNonEmpty(new QuerySpec(spec.table(), spec.pk(), spec.range(), spec.limit(),
                        spec.direction(), raw.lastEvaluatedSk()));
            }
            return CompletableFuture.completedFuture(raw);
        });
    }

    private Page<T> toPage(Query query, RawPage raw) {
        List<Item<T>> items = new ArrayList<>(raw.items().size());
        for (RawItem r : raw.items()) {
            items.add(decode(r));
        }
        Optional<String> next = raw.lastEvaluatedSk() == null ? Optional.empty()
                : Optional.of(storage.cursors().encode(table, query.pk(), query.range(), query.direction(), raw.lastEvaluatedSk()));
        return new Page<>(items, next);
    }

    @Override
    public CompletableFuture<Long> forEach(Query query, Consumer<? super Item<T>> action) {
        Objects.requireNonNull(action, "action");
        CompletableFuture<Long> done = new CompletableFuture<>();
        readPages(query, action, 0L, done);
        return done;
    }

    private void readPages(Query query, Consumer<? super Item<T>> action, long countSoFar, CompletableFuture<Long> done) {
        // Iterates while pages arrive already completed (in-memory engines) to avoid deep recursion.
        Query current = query;
        long count = countSoFar;
        while (true) {
            CompletableFuture<Page<T>> next = query(current);
            if (!next.isDone()) {
                final Query q = current;
                final long c = count;
                next.whenComplete((page, e) -> {
                    if (e != null) {
                        done.completeExceptionally(Futures.unwrap(e));
                        return;
                    }
                    long n;
                    try {
                        n = c + consume(page, action);
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
                count += consume(page, action);
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

    private long consume(Page<T> page, Consumer<? super Item<T>> action) {
        for (Item<T> item : page.items()) {
            action.accept(item);
        }
        return page.items().size();
    }

    @Override
    public CompletableFuture<Map<Key, Item<T>>> batchGet(List<Key> keys) {
        List<Key> distinct;
        try {
            storage.require(Capability.BATCH);
            Objects.requireNonNull(keys, "keys");
            Set<Key> seen = new LinkedHashSet<>();
            for (Key k : keys) {
                Keys.requireValid(Objects.requireNonNull(k, "key"));
                seen.add(k);
            }
            distinct = List.copyOf(seen);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        Map<Key, Item<T>> result = new LinkedHashMap<>();
        int chunk = storage.capabilities().maxBatchGetItems();
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (int i = 0; i < distinct.size(); i += chunk) {
            List<Key> part = distinct.subList(i, Math.min(distinct.size(), i + chunk));
            chain = chain.thenCompose(v -> storage.call(table, () -> storage.spi().batchGet(table, part)))
                    .thenAccept(found -> {
                        for (RawItem r : found) {
                            synchronized (result) {
                                result.put(r.key(), decode(r));
                            }
                        }
                    });
        }
        return chain.thenApply(v -> {
            synchronized (result) {
                return Map.copyOf(result);
            }
        });
    }

    @Override
    public CompletableFuture<Void> batchPut(List<Item<T>> items) {
        List<WriteOp> ops = new ArrayList<>();
        try {
            storage.require(Capability.BATCH);
            Set<Key> seen = new HashSet<>();
            for (Item<T> item : Objects.requireNonNull(items, "items")) {
                WriteOp.Put put = toPut(Objects.requireNonNull(item, "item"), Condition.none());
                if (!seen.add(put.key())) {
                    throw new ValidationException("key " + put.key() + " appears twice in one batch; keys must be distinct");
                }
                ops.add(put);
            }
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (indexes != null) {
            List<IndexedWrites.Op> each = new ArrayList<>();
            for (int i = 0; i < ops.size(); i++) {
                each.add(new IndexedWrites.Op(this, ops.get(i), items.get(i).value()));
            }
            return indexedBatch(each);
        }
        return batchWrite(ops);
    }

    @Override
    public CompletableFuture<Void> batchDelete(List<Key> keys) {
        List<WriteOp> ops = new ArrayList<>();
        try {
            storage.require(Capability.BATCH);
            Set<Key> seen = new HashSet<>();
            for (Key key : Objects.requireNonNull(keys, "keys")) {
                Keys.requireValid(Objects.requireNonNull(key, "key"));
                if (!seen.add(key)) {
                    throw new ValidationException("key " + key + " appears twice in one batch; keys must be distinct");
                }
                ops.add(toDelete(key, Condition.none()));
            }
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (indexes != null) {
            List<IndexedWrites.Op> each = new ArrayList<>();
            ops.forEach(op -> each.add(new IndexedWrites.Op(this, op, null)));
            return indexedBatch(each);
        }
        return batchWrite(ops);
    }

    /**
     * A batch on an indexed store: each item written with its index entries in its own
     * transaction, up to {@link #MAX_CHUNKS_IN_FLIGHT} at once, reported like any batch (not
     * atomic; keys not written and keys in doubt listed).
     */
    private CompletableFuture<Void> indexedBatch(List<IndexedWrites.Op> each) {
        BatchFailures failures = new BatchFailures();
        AtomicInteger next = new AtomicInteger();
        List<CompletableFuture<Void>> lanes = new ArrayList<>();
        for (int lane = 0; lane < Math.min(MAX_CHUNKS_IN_FLIGHT, each.size()); lane++) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            indexedLane(each, next, failures, done);
            lanes.add(done);
        }
        return CompletableFuture.allOf(lanes.toArray(CompletableFuture[]::new))
                .thenCompose(v -> failures.toFuture(each.size(), table));
    }

    /** Loops while writes complete at once (in-memory engines), so a long batch never recurses deeply. */
    private void indexedLane(List<IndexedWrites.Op> each, AtomicInteger next, BatchFailures failures,
                             CompletableFuture<Void> lane) {
        while (true) {
            int index = next.getAndIncrement();
            if (index >= each.size()) {
                lane.complete(null);
                return;
            }
            IndexedWrites.Op op = each.get(index);
            CompletableFuture<Void> written = IndexedWrites.commit(storage, List.of(op), false).handle((r, e) -> {
                if (e != null) {
                    failures.add(List.of(op.op), Futures.unwrap(e));
                }
                return null;
            });
            if (!written.isDone()) {
                written.whenComplete((v, e) -> indexedLane(each, next, failures, lane));
                return;
            }
        }
    }

    /** Most batch chunks in flight at once: enough for an engine to merge or overlap them, bounded for memory. */
    static final int MAX_CHUNKS_IN_FLIGHT = 8;

    /**
     * Writes chunk by chunk, up to {@link #MAX_CHUNKS_IN_FLIGHT} chunks at once (so an embedded
     * engine can commit them together and a remote one can overlap them); keeps going after a
     * failed chunk and reports every key not written, and separately every key in doubt (a
     * chunk that failed with {@link OutcomeUnknownException}, or the in-doubt keys of a
     * backend's {@link BatchWriteException}).
     */
    private CompletableFuture<Void> batchWrite(List<WriteOp> ops) {
        int chunk = storage.capabilities().maxBatchWriteItems();
        List<List<WriteOp>> chunks = new ArrayList<>();
        for (int i = 0; i < ops.size(); i += chunk) {
            chunks.add(ops.subList(i, Math.min(ops.size(), i + chunk)));
        }
        BatchFailures failures = new BatchFailures();
        AtomicInteger next = new AtomicInteger();
        List<CompletableFuture<Void>> lanes = new ArrayList<>();
        for (int lane = 0; lane < Math.min(MAX_CHUNKS_IN_FLIGHT, chunks.size()); lane++) {
            lanes.add(writeChunks(chunks, next, failures));
        }
        return CompletableFuture.allOf(lanes.toArray(CompletableFuture[]::new))
                .thenCompose(v -> failures.toFuture(ops.size(), table));
    }

    /** What the failed chunks of one batch left: keys not written, keys in doubt, and why. Guarded by itself. */
    private static final class BatchFailures {
        private final List<Key> unprocessed = new ArrayList<>();
        private final List<Key> inDoubt = new ArrayList<>();
        private final List<Throwable> causes = new ArrayList<>();
        /** Whether every key not written failed for a retryable reason. */
        private boolean retryable = true;

        synchronized void add(List<WriteOp> part, Throwable cause) {
            causes.add(cause);
            if (cause instanceof BatchWriteException bwe) {
                unprocessed.addAll(bwe.unprocessed());
                inDoubt.addAll(bwe.inDoubt());
                retryable &= bwe.unprocessed().isEmpty() || bwe.retryable();
            } else if (cause instanceof OutcomeUnknownException) {
                part.forEach(op -> inDoubt.add(op.key()));
            } else {
                part.forEach(op -> unprocessed.add(op.key()));
                retryable &= cause instanceof StoreException se && se.retryable();
            }
        }

        synchronized CompletableFuture<Void> toFuture(int total, String table) {
            if (causes.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            String doubt = inDoubt.isEmpty() ? "" : "; " + inDoubt.size() + " may or may not have been applied "
                    + "(listed in inDoubt(): read them back, or write them again)";
            BatchWriteException e = new BatchWriteException(unprocessed.size() + " of " + total
                    + " batch writes to store '" + table + "' were not applied (listed in unprocessed())" + doubt
                    + "; the others were. First cause: " + causes.get(0).getMessage(), unprocessed, inDoubt,
                    retryable, causes.get(0));
            causes.stream().skip(1).forEach(e::addSuppressed);
            return CompletableFuture.failedFuture(e);
        }
    }

    /** One lane: takes the next unclaimed chunk, writes it, records what failed, repeats until none is left. */
    private CompletableFuture<Void> writeChunks(List<List<WriteOp>> chunks, AtomicInteger next, BatchFailures failures) {
        CompletableFuture<Void> lane = new CompletableFuture<>();
        driveLane(chunks, next, failures, lane);
        return lane;
    }

    /** Loops while chunks complete at once (in-memory engines), so a long batch never recurses deeply. */
    private void driveLane(List<List<WriteOp>> chunks, AtomicInteger next, BatchFailures failures,
                           CompletableFuture<Void> lane) {
        while (true) {
            int index = next.getAndIncrement();
            if (index >= chunks.size()) {
                lane.complete(null);
                return;
            }
            List<WriteOp> part = chunks.get(index);
            CompletableFuture<Void> written = storage.call(table, () -> storage.spi().batchWrite(table, part))
                    .handle((ok, e) -> {
                        if (e != null) {
                            failures.add(part, Futures.unwrap(e));
                        }
                        return null;
                    });
            if (!written.isDone()) {
                written.whenComplete((v, e) -> driveLane(chunks, next, failures, lane));
                return;
            }
        }
    }

    // --- conversions, shared with DefaultTransaction ---

    WriteOp.Put toPut(Item<T> item, Condition condition) {
        Keys.requireValid(item.key());
        requireWritableKey(item.pk());
        if (item.expiresAt().isPresent()) {
            // Never drop an expiry silently: a backend without it must refuse the item.
            storage.require(Capability.EXPIRY);
        }
        byte[] payload = encode(item.value());
        int layerOverhead = storage.spi().payloadOverheadBytes();
        long size = Limits.itemSize(Keys.utf8Length(item.pk()), Keys.utf8Length(item.sk()), payload.length + layerOverhead);
        if (size > Limits.MAX_ITEM_BYTES) {
            throw new ValidationException("item " + item.key() + " is " + size + " bytes encoded (keys + payload + "
                    + Limits.ITEM_OVERHEAD_BYTES + (layerOverhead == 0 ? "" : " + " + layerOverhead + " of the layers")
                    + "); the portable limit is " + Limits.MAX_ITEM_BYTES
                    + " bytes: store large values elsewhere and keep a reference");
        }
        return new WriteOp.Put(table, item.key(), payload, item.expiresAt().orElse(null), condition);
    }

    WriteOp.Delete toDelete(Key key, Condition condition) {
        requireWritableKey(key.pk());
        if (condition instanceof Condition.IfAbsent) {
            throw new ValidationException("\"if absent\" is not a condition for delete: use none, if exists or if version");
        }
        return new WriteOp.Delete(table, key, condition);
    }

    private Key validKey(String pk, String sk) {
        Key key = new Key(pk == null ? nullKey("partition key") : pk, sk == null ? nullKey("sort key") : sk);
        Keys.requireValid(key);
        requireUnreserved(key.pk());
        return key;
    }

    // --- secondary indexes ---

    /** The declared indexes, or null. */
    IndexSet<T> indexSet() {
        return indexes;
    }

    /**
     * Refuses a write through this store: of a reserved key on an indexed store, and of any key
     * through a view without indexes of a table this storage opened with indexes (its entries
     * would go stale).
     */
    private void requireWritableKey(String pk) {
        requireUnreserved(pk);
        if (indexes == null && storage.indexCatalog(table) != null) {
            throw new ValidationException("store '" + table + "' was opened with secondary indexes "
                    + storage.indexCatalog(table).declared().keySet() + " in this storage; write it through a store "
                    + "opened with the same StoreOptions, so that its index entries are kept in step (this view can "
                    + "only read)");
        }
    }

    private void requireUnreserved(String pk) {
        if (indexes != null && IndexEntries.reserved(pk)) {
            throw new ValidationException("partition keys starting with \"" + IndexEntries.RESERVED_PREFIX
                    + "\" are reserved for the index entries and catalog of an indexed store");
        }
    }

    @SuppressWarnings("unchecked")
    List<IndexSet.Entry> entriesOfValue(Key key, Object value) {
        return indexes.entries(key, (T) value);
    }

    /** The entries the item stored with {@code payload} has; decoding it fails with {@link CodecException}. */
    List<IndexSet.Entry> entriesOfPayload(Key key, byte[] payload) {
        T value;
        try {
            value = codec.decode(payload.clone());
        } catch (StoreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CodecException("codec " + codec.getClass().getName() + " could not decode item " + key
                    + " of store '" + table + "', so its index entries cannot be found (nothing was written): "
                    + e.getMessage(), e);
        }
        return indexes.entries(key, value);
    }

    /** The entries of one index the item stored with {@code payload} has (for a build). */
    @SuppressWarnings("unchecked")
    List<IndexSet.Entry> entriesOfPayload(dev.polystore.IndexSpec<?> spec, Key key, byte[] payload) {
        T value = decodeValue(key, payload);
        return indexes.entries((dev.polystore.IndexSpec<? super T>) spec, key, value);
    }

    /** Decodes a payload read from the engine (the caller owns it). */
    T decodeValue(Key key, byte[] payload) {
        return decode(new RawItem(key, payload, 1, null)).value();
    }

    Codec<T> codec() {
        return codec;
    }

    @Override
    public dev.polystore.Index<T> index(String name) {
        if (indexes == null || indexes.spec(name).isEmpty()) {
            throw new ValidationException("store '" + table + "' has no index '" + name + "'"
                    + (indexes == null ? ": it was opened without indexes (declare them with Storage.store(name, type, "
                    + "StoreOptions.indexes(...)))" : "; its indexes are " + indexes.names()));
        }
        return new DefaultIndex<>(storage, this, indexes.spec(name).get());
    }

    @Override
    public List<String> indexNames() {
        return indexes == null ? List.of() : indexes.names();
    }

    private static String nullKey(String what) {
        throw new ValidationException(what + " must not be null");
    }

    private QuerySpec toSpec(Query query) {
        Keys.requirePk(query.pk());
        requireUnreserved(query.pk());
        KeyRange range = query.range();
        Keys.requireValid(range);
        String start = query.cursor().map(c -> storage.cursors().decode(c, table, query.pk(), range, query.direction())).orElse(null);
        return new QuerySpec(table, query.pk(), range, query.limit(), query.direction(), start);
    }

    private byte[] encode(T value) {
        try {
            byte[] bytes = codec.encode(value);
            if (bytes == null) {
                throw new CodecException("codec " + codec.getClass().getName() + " encoded a value as null", null);
            }
            return bytes;
        } catch (StoreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CodecException("codec " + codec.getClass().getName() + " could not encode a "
                    + value.getClass().getName() + ": " + e.getMessage(), e);
        }
    }

    private Item<T> decode(RawItem raw) {
        T value;
        try {
            value = codec.decode(raw.payload());
        } catch (StoreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CodecException("codec " + codec.getClass().getName() + " could not decode item " + raw.key()
                    + " of store '" + table + "': " + e.getMessage(), e);
        }
        return Item.stored(raw.key(), value, raw.version(), raw.expiresAt());
    }
}
