package dev.polystore.migration;

import dev.polystore.Capabilities;
import dev.polystore.Capability;
import dev.polystore.Condition;
import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.Limits;
import dev.polystore.Storage;
import dev.polystore.StoreException;
import dev.polystore.UnsupportedCapabilityException;
import dev.polystore.ValidationException;
import dev.polystore.internal.DefaultStorage;
import dev.polystore.internal.Keys;
import dev.polystore.spi.ImportMode;
import dev.polystore.spi.ImportOutcome;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.ScanPage;
import dev.polystore.spi.ScanPlan;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.TableNames;
import dev.polystore.spi.WriteOp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * Moving whole stores in and out of a {@link Storage}: list its stores, read a store in
 * independent resumable segments, import items exactly as read (same version, same expiry). The
 * programmatic API under {@code polystore copy}, {@code verify}, {@code export} and
 * {@code import} ({@code storage-cli}), for application code that moves, checks or re-encrypts
 * data. Never meant for a request path: a scan reads whole stores.
 *
 * <pre>{@code
 * try (Storage source = StoreFactory.fromConfig(Path.of("old.toml"));
 *      Storage target = StoreFactory.fromConfig(Path.of("new.toml"))) {
 *     Migration from = Migration.of(source), to = Migration.of(target);
 *     for (String position : from.plan("users", 4).join().positions()) {   // 4 independent segments
 *         for (String p = position; p != null; ) {
 *             ScanResult page = from.read("users", p, 500).join();
 *             to.write("users", page.items(), ImportMode.IF_NEWER).join();    // check each outcome
 *             p = page.next();                                               // checkpoint it here
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p><b>Re-encrypting or rewriting in place</b>: read a store segment by segment, then write
 * each item back through the storage's normal write path with {@link #rewrite}, which is
 * conditional on the version read, so a concurrent application write is never overwritten
 * (the rewrite fails with {@link dev.polystore.ConditionFailedException} and the newer item
 * needs no rewrite if it was written by the new code).
 *
 * <p>Scanning needs {@link Capability#SCAN}, importing {@link Capability#IMPORT}; without them
 * those futures fail with {@link UnsupportedCapabilityException}. Every method returns a future
 * that fails only with {@link StoreException}s (wrapped in a
 * {@link java.util.concurrent.CompletionException} by {@code join()}), never throws for a failure
 * of the engine, and validates its arguments before anything reaches the engine
 * ({@link ValidationException}). Thread-safe; closing the storage ends it.
 */
public final class Migration {
    /** The most segments a scan may be planned in. */
    public static final int MAX_SEGMENTS = 10_000;
    /** The most items one page of a segment holds. */
    public static final int MAX_PAGE_ITEMS = 1000;
    /** The most payload bytes one page holds beyond its first item. */
    public static final int MAX_PAGE_BYTES = ScanPage.MAX_BYTES;

    private final DefaultStorage storage;
    private final StorageBackend backend;

    private Migration(DefaultStorage storage) {
        this.storage = storage;
        this.backend = storage.spi();
    }

    /**
     * The migration view of a storage opened by {@link dev.polystore.StoreFactory} (with
     * whatever wraps its backend, so a scan through an encrypting layer reads plaintext).
     *
     * @throws IllegalArgumentException for a {@code Storage} not made by {@code StoreFactory}
     */
    public static Migration of(Storage storage) {
        Objects.requireNonNull(storage, "storage");
        if (!(storage instanceof DefaultStorage d)) {
            throw new IllegalArgumentException("Migration works on storages opened by StoreFactory, not on "
                    + storage.getClass().getName());
        }
        return new Migration(d);
    }

    /** The provider name of the backend, e.g. {@code "sqlite"}. */
    public String backend() {
        return storage.backend();
    }

    /** What the backend offers; {@link Capability#SCAN} and {@link Capability#IMPORT} matter here. */
    public Capabilities capabilities() {
        return storage.capabilities();
    }

    /** The clock the storage decides expiry by. */
    public Clock clock() {
        return storage.clock();
    }

    /** Checks that the engine answers; never fails (failures are unhealthy results). */
    public CompletableFuture<Health> health() {
        return storage.health();
    }

    /** Every store the backend holds, sorted by name ({@link Capability#SCAN}). */
    public CompletableFuture<List<String>> stores() {
        if (!capabilities().has(Capability.SCAN)) {
            return unsupported(Capability.SCAN);
        }
        return storage.callBackend(null, backend::listTables).thenApply(names -> {
            Set<String> sorted = new TreeSet<>();
            for (String n : names) {
                if (TableNames.isValid(n)) {
                    sorted.add(n);
                }
            }
            return List.copyOf(sorted);
        });
    }

    /**
     * Plans a scan of {@code store} in {@code segments} independent segments, each read with
     * {@link #read} from its start position ({@link Capability#SCAN}). Positions stay valid
     * across processes: checkpoint them.
     *
     * @param segments 1 to {@value #MAX_SEGMENTS}
     */
    public CompletableFuture<ScanPlan> plan(String store, int segments) {
        try {
            TableNames.require(store);
            if (segments < 1 || segments > MAX_SEGMENTS) {
                throw new ValidationException("segments must be from 1 to " + MAX_SEGMENTS + ", got " + segments);
            }
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (!capabilities().has(Capability.SCAN)) {
            return unsupported(Capability.SCAN);
        }
        return storage.callBackend(store, () -> backend.scanSegments(store, segments)).thenCompose(plan -> {
            if (plan == null || plan.positions().size() != segments) {
                return CompletableFuture.failedFuture(new StoreException("backend '" + backend() + "' planned "
                        + (plan == null ? "nothing" : plan.positions().size() + " segments") + " when asked for "
                        + segments));
            }
            return CompletableFuture.completedFuture(plan);
        });
    }

    /**
     * The page of a segment after {@code position} (a start position from {@link #plan}, or a
     * {@link ScanResult#next()}): live items, at most {@code limit} and at most
     * {@value #MAX_PAGE_BYTES} bytes of payload beyond the first ({@link Capability#SCAN}).
     * Under concurrent writes a key is returned at most once per scan, and an item that exists
     * throughout the scan exactly once.
     *
     * @param limit 1 to {@value #MAX_PAGE_ITEMS}
     */
    public CompletableFuture<ScanResult> read(String store, String position, int limit) {
        try {
            TableNames.require(store);
            if (position == null || position.isEmpty()) {
                throw new ValidationException("a scan position is required: start from a position of plan()");
            }
            if (limit < 1 || limit > MAX_PAGE_ITEMS) {
                throw new ValidationException("limit must be from 1 to " + MAX_PAGE_ITEMS + ", got " + limit);
            }
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (!capabilities().has(Capability.SCAN)) {
            return unsupported(Capability.SCAN);
        }
        return storage.callBackend(store, () -> backend.scan(store, position, limit)).thenApply(page -> {
            List<StoredItem> items = new ArrayList<>(page.items().size());
            for (RawItem r : page.items()) {
                items.add(new StoredItem(r.key(), r.payload(), r.version(), r.expiresAt()));
            }
            return new ScanResult(items, page.next(), page.expiredSkipped());
        });
    }

    /**
     * Imports items exactly as given: payload, version and expiry ({@link Capability#IMPORT}).
     * One outcome per item, in order; an item that breaks a portability rule (key, size, version
     * below 1, expiry not in whole seconds, a key twice in the call) fails alone with
     * {@link ValidationException} and is not sent. See {@link ImportMode} for what happens over
     * an existing item; repeating an import with {@link ImportMode#IF_NEWER} changes nothing.
     */
    public CompletableFuture<List<ImportOutcome>> write(String store, List<StoredItem> items, ImportMode mode) {
        try {
            TableNames.require(store);
            Objects.requireNonNull(items, "items");
            Objects.requireNonNull(mode, "mode");
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e instanceof StoreException se ? se : new ValidationException(e.getMessage()));
        }
        if (!capabilities().has(Capability.IMPORT)) {
            return unsupported(Capability.IMPORT);
        }
        ImportOutcome[] outcomes = new ImportOutcome[items.size()];
        List<RawItem> send = new ArrayList<>(items.size());
        List<Integer> sentIndex = new ArrayList<>(items.size());
        Set<Key> seen = new HashSet<>();
        boolean expiry = capabilities().has(Capability.EXPIRY);
        for (int i = 0; i < items.size(); i++) {
            StoredItem item = items.get(i);
            try {
                validate(item, expiry);
                if (!seen.add(item.key())) {
                    throw new ValidationException("key " + "appears twice in one import call");
                }
                send.add(new RawItem(item.key(), item.payload(), item.version(), item.expiresAt()));
                sentIndex.add(i);
            } catch (StoreException e) {
                outcomes[i] = ImportOutcome.failed(e);
            }
        }
        if (send.isEmpty()) {
            return CompletableFuture.completedFuture(List.of(outcomes));
        }
        return storage.callBackend(store, () -> backend.importItems(store, send, mode)).thenApply(result -> {
            if (result == null || result.size() != send.size()) {
                throw new StoreException("backend '" + backend() + "' returned " + (result == null ? "no" : result.size())
                        + " import outcomes for " + send.size() + " items");
            }
            for (int j = 0; j < result.size(); j++) {
                outcomes[sentIndex.get(j)] = Objects.requireNonNull(result.get(j), "import outcome");
            }
            return List.of(outcomes);
        });
    }

    private static void validate(StoredItem item, boolean expiry) {
        if (item == null) {
            throw new ValidationException("an imported item must not be null");
        }
        Keys.requireValid(item.key());
        if (item.version() < 1) {
            throw new ValidationException("an imported item's version must be >= 1, got " + item.version());
        }
        if (item.expiresAt() != null) {
            if (!expiry) {
                throw new UnsupportedCapabilityException("target", Capability.EXPIRY);
            }
            if (item.expiresAt().getNano() != 0) {
                throw new ValidationException("an imported item's expiry must be in whole seconds");
            }
        }
        long size = Limits.itemSize(Keys.utf8Length(item.key().pk()), Keys.utf8Length(item.key().sk()),
                item.payload().length);
        if (size > Limits.MAX_ITEM_BYTES) {
            throw new ValidationException("an imported item is " + size + " bytes encoded; the portable limit is "
                    + Limits.MAX_ITEM_BYTES + " bytes");
        }
    }

    /** The live item at {@code key} of {@code store}, as stored (the normal read path). */
    public CompletableFuture<Optional<StoredItem>> get(String store, Key key) {
        try {
            TableNames.require(store);
            Keys.requireValid(Objects.requireNonNull(key, "key"));
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return storage.callBackend(store, () -> backend.get(store, key))
                .thenApply(o -> o.map(r -> new StoredItem(r.key(), r.payload(), r.version(), r.expiresAt())));
    }

    /**
     * The live items at {@code keys} (distinct) of {@code store}, in any order: batch reads where
     * the backend has {@link Capability#BATCH}, single reads otherwise.
     */
    public CompletableFuture<List<StoredItem>> getAll(String store, List<Key> keys) {
        try {
            TableNames.require(store);
            keys.forEach(k -> Keys.requireValid(Objects.requireNonNull(k, "key")));
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        List<CompletableFuture<List<StoredItem>>> parts = new ArrayList<>();
        Capabilities caps = capabilities();
        if (caps.has(Capability.BATCH)) {
            int chunk = caps.maxBatchGetItems();
            for (int i = 0; i < keys.size(); i += chunk) {
                List<Key> part = List.copyOf(keys.subList(i, Math.min(keys.size(), i + chunk)));
                parts.add(storage.callBackend(store, () -> backend.batchGet(store, part)).thenApply(found -> {
                    List<StoredItem> items = new ArrayList<>(found.size());
                    found.forEach(r -> items.add(new StoredItem(r.key(), r.payload(), r.version(), r.expiresAt())));
                    return items;
                }));
            }
        } else {
            for (Key k : keys) {
                parts.add(get(store, k).thenApply(o -> o.map(List::of).orElse(List.of())));
            }
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<StoredItem> all = new ArrayList<>();
            parts.forEach(p -> all.addAll(p.join()));
            return all;
        });
    }

    /**
     * Writes {@code item}'s payload and expiry back through the normal write path, if the live
     * item still has {@code item.version()} (else {@link dev.polystore.ConditionFailedException}):
     * what a re-encryption job does with each item it read, so that a layer (encryption)
     * transforms it on the way and no concurrent write is overwritten.
     *
     * @return the new version ({@code item.version() + 1})
     */
    public CompletableFuture<Long> rewrite(String store, StoredItem item) {
        try {
            TableNames.require(store);
            validate(item, capabilities().has(Capability.EXPIRY));
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        WriteOp.Put put = new WriteOp.Put(store, item.key(), item.payload().clone(), item.expiresAt(),
                Condition.ifVersion(item.version()));
        return storage.callBackend(store, () -> backend.put(put));
    }

    /**
     * Deletes the item at {@code key} if its live version is {@code version} (else
     * {@link dev.polystore.ConditionFailedException}): how a copy removes an item the source no
     * longer has without racing a newer write.
     */
    public CompletableFuture<Boolean> deleteIfVersion(String store, Key key, long version) {
        try {
            TableNames.require(store);
            Keys.requireValid(Objects.requireNonNull(key, "key"));
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        WriteOp.Delete delete = new WriteOp.Delete(store, key, Condition.ifVersion(version));
        return storage.callBackend(store, () -> backend.delete(delete));
    }

    private <T> CompletableFuture<T> unsupported(Capability capability) {
        return CompletableFuture.failedFuture(new UnsupportedCapabilityException(backend(), capability));
    }
}
