package dev.polystore.internal;

import dev.polystore.Capabilities;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Key;
import dev.polystore.Limits;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.UniqueIndexViolationException;
import dev.polystore.ValidationException;
import dev.polystore.spi.IndexAccelerator;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.WriteOp;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes to indexed stores: every item write and its index entries in one engine transaction.
 *
 * <p>An attempt reads the current item of every indexed put and delete (a put under
 * {@code ifAbsent} needs no read: if it succeeds there was no item), checks the caller's
 * condition against what it read, computes the entries the item has (from the value read) and
 * will have (from the new value), and commits one transaction: the caller's operations first, in
 * their order and each conditioned on exactly the state read ({@code ifVersion(v)}, or
 * {@code ifAbsent} for no item), then the entry writes: a delete for every entry the item loses, a
 * put (a copy of the new item) for every entry it keeps or gains, under {@code ifAbsent} for a key
 * of a unique index the item did not have. Because every operation is conditioned on the version
 * read, a concurrent writer of the same item makes the transaction fail rather than leave an entry
 * of a value that is no longer current: such a conflict is retried from the read, with a short
 * random pause, a bounded number of times. A failed condition the caller asked for is reported as
 * {@link ConditionFailedException}, a taken unique key as {@link UniqueIndexViolationException}.
 *
 * <p>Nothing is retried after an outcome the engine could not report: an
 * {@link dev.polystore.OutcomeUnknownException} reaches the caller as it is. The item and its
 * entries are one atomic write, so whichever way it went they agree, and a retry never meets its
 * own earlier write (which could turn into a false condition failure).
 */
final class IndexedWrites {
    private static final Logger LOG = LoggerFactory.getLogger(IndexedWrites.class);

    /** Attempts before a write that keeps losing to concurrent writers of its items gives up (nothing written). */
    static final int MAX_ATTEMPTS = 24;

    /** One operation as the caller gave it. */
    static final class Op {
        final DefaultStore<?> store;
        final WriteOp op;
        /** The value of a put (its index keys come from it); null for deletes and checks. */
        final Object value;

        Op(DefaultStore<?> store, WriteOp op, Object value) {
            this.store = store;
            this.op = op;
            this.value = value;
        }

        boolean indexed() {
            return store.indexSet() != null && !(op instanceof WriteOp.Check);
        }
    }

    /** What a commit did: the new version of each put (0 for deletes and checks), and whether each delete found an item. */
    record Result(List<Long> versions, List<Boolean> existed) {
    }

    /** One planned entry write, and the caller's operation it belongs to. */
    private record Planned(WriteOp op, int owner, IndexSet.Entry entry) {
    }

    private final DefaultStorage storage;
    private final List<Op> ops;
    /** Whether the caller built a transaction (failures then name the operation), rather than calling put or delete. */
    private final boolean transaction;

    private IndexedWrites(DefaultStorage storage, List<Op> ops, boolean transaction) {
        this.storage = storage;
        this.ops = List.copyOf(ops);
        this.transaction = transaction;
    }

    /**
     * Commits {@code ops} (validated, with distinct keys) and their index entries atomically.
     *
     * @param transaction whether the caller built a transaction; single puts and deletes report
     *                    failures without an operation index
     */
    static CompletableFuture<Result> commit(DefaultStorage storage, List<Op> ops, boolean transaction) {
        IndexedWrites w = new IndexedWrites(storage, ops, transaction);
        CompletableFuture<Result> done = new CompletableFuture<>();
        w.run(1, done);
        return done;
    }

    private void run(int attempt, CompletableFuture<Result> done) {
        CompletableFuture<Outcome> f;
        try {
            f = attempt();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((outcome, e) -> {
            if (e != null) {
                done.completeExceptionally(Futures.toStoreException(storage.backend(), e));
            } else if (outcome.result != null) {
                done.complete(outcome.result);
            } else if (attempt >= MAX_ATTEMPTS) {
                done.completeExceptionally(new UnavailableException(describe() + " lost to concurrent writers of the same "
                        + "items " + attempt + " times in a row; nothing was written, try again", null));
            } else {
                LOG.debug("{}: attempt {} conflicted with a concurrent writer, retrying", describe(), attempt);
                long micros = ThreadLocalRandom.current().nextLong(100, 250L * Math.min(attempt, 16) + 101);
                CompletableFuture.delayedExecutor(micros, TimeUnit.MICROSECONDS).execute(() -> run(attempt + 1, done));
            }
        });
    }

    /** An attempt's end: a result, or none to try again. */
    private record Outcome(Result result) {
        static final Outcome RETRY = new Outcome(null);
    }

    private String describe() {
        if (ops.size() == 1) {
            Op o = ops.get(0);
            return (o.op instanceof WriteOp.Put ? "the put of " : "the delete of ") + o.op.key() + " in store '"
                    + o.op.table() + "'";
        }
        return "a transaction of " + ops.size() + " operations";
    }

    private CompletableFuture<Outcome> attempt() {
        // The catalog of every indexed table: registered, and declaring no index this storage lacks.
        Set<IndexCatalog> catalogs = new LinkedHashSet<>();
        for (Op o : ops) {
            if (o.store.indexSet() != null) {
                catalogs.add(storage.indexCatalog(o.store.name()));
            }
        }
        CompletableFuture<Void> ready = CompletableFuture.completedFuture(null);
        Map<String, IndexCatalog.View> views = new java.util.concurrent.ConcurrentHashMap<>();
        for (IndexCatalog c : catalogs) {
            ready = ready.thenCompose(v -> c.writable().thenApply(view -> {
                views.put(c.table(), view);
                return null;
            }));
        }
        if (storage.accelerator() != null) {
            // Native entries: the engine checks unique holders itself, no entry is read.
            return ready.thenCompose(v -> readCurrent()).thenCompose(current -> plan(current, Map.of(), views));
        }
        return ready.thenCompose(v -> readCurrent()).thenCompose(current -> readHolders(current)
                .thenCompose(holders -> plan(current, holders, views)));
    }

    /** The current item of every indexed put and delete (null: none, or none assumed for an "if absent" put). */
    private CompletableFuture<RawItem[]> readCurrent() {
        RawItem[] current = new RawItem[ops.size()];
        List<CompletableFuture<Void>> reads = new ArrayList<>();
        for (int i = 0; i < ops.size(); i++) {
            Op o = ops.get(i);
            if (!o.indexed() || (o.op instanceof WriteOp.Put && o.op.condition().kind() == Condition.Kind.IF_ABSENT)) {
                continue;
            }
            int index = i;
            String table = o.op.table();
            reads.add(storage.call(table, () -> storage.spi().get(table, o.op.key()))
                    .thenAccept(found -> current[index] = found.orElse(null)));
        }
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> current);
    }

    /**
     * The entries of the unique keys the current items have: a unique key's entry is one item
     * for every holder, so an item may only move or remove it if it is the holder (before a
     * build completes, two items may share a key that only one of them holds).
     */
    private CompletableFuture<Map<Key, RawItem>> readHolders(RawItem[] current) {
        Map<Key, RawItem> holders = new java.util.concurrent.ConcurrentHashMap<>();
        List<CompletableFuture<Void>> reads = new ArrayList<>();
        Set<String> asked = new HashSet<>();
        for (int i = 0; i < ops.size(); i++) {
            Op o = ops.get(i);
            if (!o.indexed() || current[i] == null) {
                continue;
            }
            String table = o.op.table();
            for (IndexSet.Entry e : o.store.entriesOfPayload(o.op.key(), current[i].payload())) {
                if (e.unique() && asked.add(table + "\u0000" + e.key().pk())) {
                    reads.add(storage.call(table, () -> storage.spi().get(table, e.key()))
                            .thenAccept(found -> found.ifPresent(r -> holders.put(e.key(), r))));
                }
            }
        }
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> holders);
    }

    /** Whether the unique entry {@code holder} (may be null) is the entry of the item at {@code item}. */
    private static boolean holds(String table, RawItem holder, Key item) {
        return holder != null && IndexEntries.decode(table, holder.key(), holder.payload()).key().equals(item);
    }

    private CompletableFuture<Outcome> plan(RawItem[] current, Map<Key, RawItem> holders,
                                            Map<String, IndexCatalog.View> views) {
        int n = ops.size();
        List<WriteOp> spi = new ArrayList<>(n + 4);
        List<Boolean> existed = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Op o = ops.get(i);
            RawItem found = current[i];
            existed.add(found != null);
            if (!o.indexed()) {
                spi.add(o.op);
                continue;
            }
            long version = found == null ? 0 : found.version();
            if (!o.op.condition().holds(version)) {
                // Linearized at the read: the caller's condition did not hold then.
                return CompletableFuture.failedFuture(conditionFailed(i, found, null));
            }
            Condition state = found == null ? Condition.ifAbsent() : Condition.ifVersion(version);
            if (o.op instanceof WriteOp.Put p) {
                spi.add(new WriteOp.Put(p.table(), p.key(), p.payload(), p.expiresAt(), state));
            } else if (found == null) {
                // Deleting nothing: keep the absence the answer relies on part of the write.
                spi.add(new WriteOp.Check(o.op.table(), o.op.key(), Condition.ifAbsent()));
            } else {
                spi.add(new WriteOp.Delete(o.op.table(), o.op.key(), state));
            }
        }
        if (!transaction && n == 1 && ops.get(0).op instanceof WriteOp.Delete && current[0] == null) {
            // A delete that finds nothing writes nothing (linearized at the read).
            return CompletableFuture.completedFuture(new Outcome(new Result(List.of(0L), existed)));
        }
        if (storage.accelerator() != null) {
            return commitNative(current, spi, existed, views);
        }
        List<Planned> entries = planEntries(current, holders);
        List<WriteOp> all = new ArrayList<>(spi);
        entries.forEach(p -> all.add(p.op()));
        checkLimits(spi.size(), entries, all);
        String anyTable = all.get(0).table();
        return storage.call(anyTable, () -> storage.spi().transact(all)).handle((versions, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(new Outcome(new Result(List.copyOf(versions.subList(0, n)),
                        existed)));
            }
            Throwable cause = Futures.unwrap(e);
            if (cause instanceof ConditionFailedException cfe) {
                return onConditionFailed(cfe, current, entries);
            }
            return CompletableFuture.<Outcome>failedFuture(cause);
        }).thenCompose(x -> x);
    }

    /** The entries an operation's item has before it (as stored) and after it, with their keys. */
    private record EntryDiff(List<IndexSet.Entry> before, List<IndexSet.Entry> after,
                             Set<Key> beforeKeys, Set<Key> afterKeys) {
        static EntryDiff of(Op o, RawItem found) {
            Key key = o.op.key();
            List<IndexSet.Entry> before = found == null ? List.of() : o.store.entriesOfPayload(key, found.payload());
            List<IndexSet.Entry> after = o.op instanceof WriteOp.Put ? o.store.entriesOfValue(key, o.value) : List.of();
            Set<Key> beforeKeys = new HashSet<>();
            before.forEach(e -> beforeKeys.add(e.key()));
            Set<Key> afterKeys = new HashSet<>();
            after.forEach(e -> afterKeys.add(e.key()));
            return new EntryDiff(before, after, beforeKeys, afterKeys);
        }
    }

    /** The entry writes of every indexed operation, merged across operations of one transaction. */
    private List<Planned> planEntries(RawItem[] current, Map<Key, RawItem> holders) {
        Map<String, Planned> byKey = new LinkedHashMap<>();
        for (int i = 0; i < ops.size(); i++) {
            Op o = ops.get(i);
            if (!o.indexed()) {
                continue;
            }
            RawItem found = current[i];
            Key key = o.op.key();
            String table = o.op.table();
            EntryDiff diff = EntryDiff.of(o, found);
            List<IndexSet.Entry> before = diff.before();
            List<IndexSet.Entry> after = diff.after();
            Set<Key> beforeKeys = diff.beforeKeys();
            Set<Key> afterKeys = diff.afterKeys();
            for (IndexSet.Entry e : before) {
                if (!afterKeys.contains(e.key())) {
                    String id = table + "\u0000" + e.key().pk() + "\u0000" + e.key().sk();
                    Planned other = byKey.get(id);
                    if (e.unique() && !holds(table, holders.get(e.key()), key)) {
                        continue; // another item holds this unique key (possible before a build completes)
                    }
                    Condition held = e.unique() ? Condition.ifVersion(holders.get(e.key()).version()) : Condition.none();
                    if (other == null) {
                        byKey.put(id, new Planned(new WriteOp.Delete(table, e.key(), held), i, e));
                    } else if (other.op() instanceof WriteOp.Put p) {
                        // Another operation takes the key this one gives up: its put replaces the entry.
                        byKey.put(id, new Planned(new WriteOp.Put(table, p.key(), p.payload(), p.expiresAt(),
                                held), other.owner(), other.entry()));
                    }
                }
            }
            if (o.op instanceof WriteOp.Put p) {
                long version = found == null ? 1 : found.version() + 1;
                for (IndexSet.Entry e : after) {
                    String id = table + "\u0000" + e.key().pk() + "\u0000" + e.key().sk();
                    Planned other = byKey.get(id);
                    boolean released = other != null && other.op() instanceof WriteOp.Delete;
                    if (other != null && !released) {
                        // Two operations of one transaction give one unique key to two items.
                        throw uniqueViolation(i, e, null);
                    }
                    Condition c;
                    if (released) {
                        c = other.op().condition(); // the entry this transaction's other operation gives up
                    } else if (!e.unique()) {
                        c = Condition.none();
                    } else if (beforeKeys.contains(e.key()) && holds(table, holders.get(e.key()), key)) {
                        c = Condition.ifVersion(holders.get(e.key()).version());
                    } else {
                        c = Condition.ifAbsent();
                    }
                    byte[] copy = IndexEntries.payload(key, version, p.payload());
                    byKey.put(id, new Planned(new WriteOp.Put(table, e.key(), copy, p.expiresAt(), c), i, e));
                }
            }
        }
        return List.copyOf(byKey.values());
    }

    // ------------------------------------------------------------------ native entries

    /** One planned native entry write, and the caller's operation it belongs to. */
    private record NativePlanned(IndexAccelerator.EntryWrite write, int owner, IndexSet.Entry entry) {
    }

    private CompletableFuture<Outcome> commitNative(RawItem[] current, List<WriteOp> spi, List<Boolean> existed,
                                                    Map<String, IndexCatalog.View> views) {
        int n = ops.size();
        checkPortableLimits(current, spi);
        List<NativePlanned> entries = planNative(current, views);
        List<IndexAccelerator.EntryWrite> writes = new ArrayList<>(entries.size());
        entries.forEach(p -> writes.add(p.write()));
        IndexAccelerator accelerator = storage.accelerator();
        String anyTable = spi.get(0).table();
        return storage.call(anyTable, () -> accelerator.transact(spi, writes)).handle((versions, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(new Outcome(new Result(List.copyOf(versions.subList(0, n)),
                        existed)));
            }
            Throwable cause = Futures.unwrap(e);
            if (!(cause instanceof ConditionFailedException cfe)) {
                return CompletableFuture.<Outcome>failedFuture(cause);
            }
            if (cfe.operationIndex().isEmpty()) {
                return diagnose(cfe, current, List.of());
            }
            int index = cfe.operationIndex().getAsInt();
            if (index < n) {
                Op o = ops.get(index);
                if (o.indexed() && !callersOwn(o)) {
                    return CompletableFuture.completedFuture(Outcome.RETRY);
                }
                return CompletableFuture.<Outcome>failedFuture(conditionFailed(index, null, cfe));
            }
            if (index - n < entries.size() && entries.get(index - n).write() instanceof IndexAccelerator.EntryWrite.Put p
                    && p.unique()) {
                NativePlanned planned = entries.get(index - n);
                return CompletableFuture.<Outcome>failedFuture(uniqueViolation(planned.owner(), planned.entry(), cfe));
            }
            return CompletableFuture.<Outcome>failedFuture(new StoreException("backend '" + storage.backend()
                    + "' failed operation " + index + " of a transaction of " + n + " operations and " + entries.size()
                    + " native index entries for a condition that operation does not have", cfe));
        }).thenCompose(x -> x);
    }

    /**
     * The native entry writes: a delete of every entry an item loses, then a put of every entry it
     * gains. An entry it keeps is written again only where the portable form needs it: a unique
     * key (the engine checks the holder), a changed expiry, or an index not yet built (a build
     * that read the item before this write leaves it to this writer).
     */
    private List<NativePlanned> planNative(RawItem[] current, Map<String, IndexCatalog.View> views) {
        List<NativePlanned> deletes = new ArrayList<>();
        List<NativePlanned> puts = new ArrayList<>();
        Map<String, Integer> claimed = new java.util.HashMap<>();
        for (int i = 0; i < ops.size(); i++) {
            Op o = ops.get(i);
            if (!o.indexed()) {
                continue;
            }
            RawItem found = current[i];
            Key key = o.op.key();
            String table = o.op.table();
            EntryDiff diff = EntryDiff.of(o, found);
            List<IndexSet.Entry> before = diff.before();
            List<IndexSet.Entry> after = diff.after();
            Set<Key> beforeKeys = diff.beforeKeys();
            Set<Key> afterKeys = diff.afterKeys();
            for (IndexSet.Entry e : before) {
                if (!afterKeys.contains(e.key())) {
                    deletes.add(new NativePlanned(new IndexAccelerator.EntryWrite.Delete(table, e.key(), key), i, e));
                }
            }
            if (o.op instanceof WriteOp.Put p) {
                IndexCatalog.View view = views.get(table);
                for (IndexSet.Entry e : after) {
                    boolean built = view != null && view.state(e.spec().name()) == dev.polystore.IndexStatus.State.READY;
                    if (!e.unique() && built && beforeKeys.contains(e.key())
                            && java.util.Objects.equals(found.expiresAt(), p.expiresAt())) {
                        continue; // kept: its row names this item with this expiry already
                    }
                    if (e.unique() && claimed.putIfAbsent(table + "\u0000" + e.key().pk(), i) != null) {
                        // Two operations of one transaction give one unique key to two items.
                        throw uniqueViolation(i, e, null);
                    }
                    puts.add(new NativePlanned(new IndexAccelerator.EntryWrite.Put(table, e.key(), key, p.expiresAt(),
                            e.unique()), i, e));
                }
            }
        }
        List<NativePlanned> all = new ArrayList<>(deletes);
        all.addAll(puts);
        return all;
    }

    /**
     * The limits checked on the portable form of the write (an entry item per entry, copying the
     * item), so that a write accepted here is accepted by every backend.
     */
    private void checkPortableLimits(RawItem[] current, List<WriteOp> spi) {
        Map<String, long[]> byKey = new LinkedHashMap<>(); // entry id -> {bytes, put ? 1 : 0}
        for (int i = 0; i < ops.size(); i++) {
            Op o = ops.get(i);
            if (!o.indexed()) {
                continue;
            }
            RawItem found = current[i];
            Key key = o.op.key();
            String table = o.op.table();
            List<IndexSet.Entry> before = found == null ? List.of() : o.store.entriesOfPayload(key, found.payload());
            List<IndexSet.Entry> after = o.op instanceof WriteOp.Put ? o.store.entriesOfValue(key, o.value) : List.of();
            for (IndexSet.Entry e : before) {
                int keyBytes = Keys.utf8Length(e.key().pk()) + Keys.utf8Length(e.key().sk());
                byKey.putIfAbsent(table + "\u0000" + e.key().pk() + "\u0000" + e.key().sk(),
                        new long[] {Limits.itemSize(keyBytes, 0, 0), 0});
            }
            if (o.op instanceof WriteOp.Put p) {
                for (IndexSet.Entry e : after) {
                    long size = Limits.itemSize(Keys.utf8Length(e.key().pk()), Keys.utf8Length(e.key().sk()),
                            IndexEntries.payloadSize(key, p.payload().length));
                    if (size > Limits.MAX_ITEM_BYTES) {
                        throw new ValidationException("item " + key + " is too large for index '" + e.spec().name()
                                + "' of store '" + table + "': its entry (a copy of the item under the index key, in "
                                + "the portable form every backend must be able to hold) would be " + size
                                + " bytes; the portable item limit is " + Limits.MAX_ITEM_BYTES + ". Nothing was written");
                    }
                    byKey.put(table + "\u0000" + e.key().pk() + "\u0000" + e.key().sk(), new long[] {size, 1});
                }
            }
        }
        Capabilities caps = storage.capabilities();
        int puts = 0;
        long bytes = 0;
        for (long[] v : byKey.values()) {
            puts += (int) v[1];
            bytes += v[0];
        }
        int total = spi.size() + byKey.size();
        if (total > caps.maxTransactionItems()) {
            throw new ValidationException(describe() + " needs " + total + " operations in one transaction in the "
                    + "portable form (" + spi.size() + " for the items, " + puts + " index entries to write, "
                    + (byKey.size() - puts) + " to remove); the portable limit, and backend '" + storage.backend()
                    + "''s, is " + caps.maxTransactionItems() + ". Give values fewer index keys, or split the "
                    + "transaction. Nothing was written");
        }
        for (WriteOp op : spi) {
            int keyBytes = Keys.utf8Length(op.key().pk()) + Keys.utf8Length(op.key().sk());
            bytes += op instanceof WriteOp.Put p ? Limits.itemSize(keyBytes, 0, p.payload().length)
                    : Limits.itemSize(keyBytes, 0, 0);
        }
        if (bytes > caps.maxTransactionBytes()) {
            throw new ValidationException(describe() + " is " + bytes + " bytes encoded in the portable form, with its "
                    + puts + " index entries (each a copy of its item); backend '" + storage.backend() + "' allows at "
                    + "most " + caps.maxTransactionBytes() + " in one transaction. Give values fewer index keys, or "
                    + "make them smaller. Nothing was written");
        }
    }

    private void checkLimits(int itemOps, List<Planned> entries, List<WriteOp> all) {
        Capabilities caps = storage.capabilities();
        int puts = 0;
        for (Planned p : entries) {
            if (p.op() instanceof WriteOp.Put put) {
                puts++;
                long size = Limits.itemSize(Keys.utf8Length(put.key().pk()), Keys.utf8Length(put.key().sk()),
                        put.payload().length);
                if (size > Limits.MAX_ITEM_BYTES) {
                    Op owner = ops.get(p.owner());
                    throw new ValidationException("item " + owner.op.key() + " is too large for index '"
                            + p.entry().spec().name() + "' of store '" + owner.op.table() + "': its entry (a copy of the "
                            + "item under the index key) would be " + size + " bytes; the portable item limit is "
                            + Limits.MAX_ITEM_BYTES + ". Nothing was written");
                }
            }
        }
        if (all.size() > caps.maxTransactionItems()) {
            throw new ValidationException(describe() + " needs " + all.size() + " operations in one transaction ("
                    + itemOps + " for the items, " + puts + " index entries to write, " + (entries.size() - puts)
                    + " to remove); backend '" + storage.backend() + "' allows at most " + caps.maxTransactionItems()
                    + ". Give values fewer index keys, or split the transaction. Nothing was written");
        }
        long bytes = 0;
        for (WriteOp op : all) {
            int keyBytes = Keys.utf8Length(op.key().pk()) + Keys.utf8Length(op.key().sk());
            bytes += op instanceof WriteOp.Put p ? Limits.itemSize(keyBytes, 0, p.payload().length)
                    : Limits.itemSize(keyBytes, 0, 0);
        }
        if (bytes > caps.maxTransactionBytes()) {
            throw new ValidationException(describe() + " is " + bytes + " bytes encoded with its " + puts
                    + " index entries (each a copy of its item); backend '" + storage.backend() + "' allows at most "
                    + caps.maxTransactionBytes() + " in one transaction. Give values fewer index keys, or make them "
                    + "smaller. Nothing was written");
        }
    }

    /** Whether the condition sent for an indexed operation is the caller's own (then its failure is the caller's). */
    private static boolean callersOwn(Op o) {
        Condition.Kind k = o.op.condition().kind();
        return k == Condition.Kind.IF_VERSION || (k == Condition.Kind.IF_ABSENT && o.op instanceof WriteOp.Put);
    }

    private CompletableFuture<Outcome> onConditionFailed(ConditionFailedException cfe, RawItem[] current,
                                                         List<Planned> entries) {
        int n = ops.size();
        if (cfe.operationIndex().isPresent()) {
            int index = cfe.operationIndex().getAsInt();
            if (index < n) {
                Op o = ops.get(index);
                if (o.indexed() && !callersOwn(o)) {
                    return CompletableFuture.completedFuture(Outcome.RETRY);
                }
                return CompletableFuture.failedFuture(conditionFailed(index, null, cfe));
            }
            if (index - n < entries.size()) {
                Planned p = entries.get(index - n);
                if (p.op().condition().kind() == Condition.Kind.IF_ABSENT) {
                    return CompletableFuture.failedFuture(uniqueViolation(p.owner(), p.entry(), cfe));
                }
                if (p.op().condition().kind() == Condition.Kind.IF_VERSION) {
                    return CompletableFuture.completedFuture(Outcome.RETRY); // the unique entry moved meanwhile
                }
            }
            return CompletableFuture.failedFuture(new StoreException("backend '" + storage.backend() + "' failed "
                    + "operation " + index + " of a transaction of " + (n + entries.size()) + " for a condition that "
                    + "operation does not have", cfe));
        }
        return diagnose(cfe, current, entries);
    }

    /**
     * The engine did not say which condition failed: reads what each could have been and reports
     * the first that fails now (linearized at that read), or tries again.
     */
    private CompletableFuture<Outcome> diagnose(ConditionFailedException cfe, RawItem[] current, List<Planned> entries) {
        int n = ops.size();
        List<CompletableFuture<StoreException>> checks = new ArrayList<>();
        for (Planned p : entries) {
            if (p.op().condition().kind() != Condition.Kind.IF_ABSENT) {
                continue;
            }
            String table = p.op().table();
            Key ownerKey = ops.get(p.owner()).op.key();
            checks.add(storage.call(table, () -> storage.spi().get(table, p.op().key())).thenApply(found -> {
                if (found.isPresent() && !IndexEntries.decode(table, p.op().key(), found.get().payload()).key()
                        .equals(ownerKey)) {
                    return uniqueViolation(p.owner(), p.entry(), cfe);
                }
                return null;
            }));
        }
        for (int i = 0; i < n; i++) {
            Op o = ops.get(i);
            if (o.op.condition().kind() == Condition.Kind.NONE || (o.indexed() && !callersOwn(o))) {
                continue;
            }
            int index = i;
            String table = o.op.table();
            checks.add(storage.call(table, () -> storage.spi().get(table, o.op.key())).thenApply(found -> {
                long version = found.map(RawItem::version).orElse(0L);
                return o.op.condition().holds(version) ? null : conditionFailed(index, found.orElse(null), cfe);
            }));
        }
        return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new)).thenApply(v -> {
            for (CompletableFuture<StoreException> c : checks) {
                StoreException e = c.join();
                if (e != null) {
                    throw e;
                }
            }
            return Outcome.RETRY;
        });
    }

    private ConditionFailedException conditionFailed(int index, RawItem found, ConditionFailedException cause) {
        Op o = ops.get(index);
        if (transaction && cause != null && cause.operationIndex().isPresent()) {
            return cause;
        }
        String state = cause != null ? "" : found == null ? ": found no item" : ": found version " + found.version();
        return new ConditionFailedException("condition " + o.op.condition() + " failed for " + o.op.key() + " in store '"
                + o.op.table() + "'" + state + (transaction ? " (transaction operation " + index + ")" : ""),
                o.op.key(), transaction ? index : -1, cause);
    }

    private UniqueIndexViolationException uniqueViolation(int owner, IndexSet.Entry entry, Throwable cause) {
        Op o = ops.get(owner);
        return new UniqueIndexViolationException(o.op.table(), entry.spec().name(), entry.indexKey(), o.op.key(),
                transaction ? owner : -1, cause);
    }
}
