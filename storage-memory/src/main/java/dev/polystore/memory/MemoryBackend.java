package dev.polystore.memory;

import dev.polystore.Capabilities;
import dev.polystore.Capability;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Direction;
import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.KeyRange;
import dev.polystore.Limits;
import dev.polystore.UnavailableException;
import dev.polystore.spi.ChangeNotifier;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import dev.polystore.spi.SortKeys;
import dev.polystore.StoreException;
import dev.polystore.spi.ImportMode;
import dev.polystore.spi.ImportOutcome;
import dev.polystore.spi.ScanPlan;
import dev.polystore.spi.KeySegment;
import dev.polystore.spi.ScanPage;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The reference backend: every item in sorted maps behind one lock, every operation applied
 * atomically and completed before it returns. It is the model the testkit checks other
 * backends against, and a fast backend for users' unit tests. Nothing is persisted.
 *
 * <p><b>Optional bound.</b> Built with a {@link Bound}, the backend keeps at most that many
 * items (and/or encoded bytes, as {@link Limits#itemSize} counts them) across all its tables and
 * evicts the least recently used items when a write goes over. A <em>use</em> is a successful
 * read of the item by its key ({@link #get}, a hit of {@link #batchGet}) or a successful write of
 * it (put, batch put, a committed transaction's put). Queries, transaction checks, failed
 * conditional writes and deletes are not uses. An evicted item is gone exactly as if it had been
 * deleted: every read and condition finds it absent, "if absent" succeeds, and the next write
 * starts again at version 1. Eviction is not expiry: an item never expires because of the bound,
 * and an expired item counts towards the bound until it is evicted, overwritten or deleted.
 * Unbounded (the default, and always the model the testkit compares against), nothing is ever
 * evicted and no use is tracked.
 *
 * <p>Thread-safe. Declares every capability but {@code NATIVE_SEARCH} unless built with fewer
 * (for tests of the unsupported-capability path), including {@code CHANGE_NOTIFICATIONS}; the
 * bounded constructor {@link #MemoryBackend(Clock, Bound)} leaves it out (subscriptions poll).
 */
public final class MemoryBackend implements StorageBackend {
    /** Same limits as the strictest engine we ship (DynamoDB), so tests on memory stay portable. */
    public static final int MAX_TRANSACTION_ITEMS = 100;
    public static final long MAX_TRANSACTION_BYTES = 4L * 1024 * 1024;
    public static final int MAX_BATCH_GET = 100;
    public static final int MAX_BATCH_WRITE = 25;

    /**
     * The most a bounded backend keeps: {@code maxItems} items and {@code maxBytes} encoded bytes
     * ({@link Limits#itemSize} of each item), 0 meaning no limit of that kind.
     *
     * @param maxItems most items across all tables, or 0 for no limit
     * @param maxBytes most encoded bytes across all tables, or 0 for no limit; otherwise at least
     *                 {@link Limits#MAX_ITEM_BYTES}, so that every item fits on its own
     */
    public record Bound(long maxItems, long maxBytes) {
        /** No bound: nothing is evicted. */
        public static final Bound NONE = new Bound(0, 0);

        public Bound {
            if (maxItems < 0) {
                throw new IllegalArgumentException("maxItems must not be negative, got " + maxItems);
            }
            if (maxBytes < 0 || (maxBytes > 0 && maxBytes < Limits.MAX_ITEM_BYTES)) {
                throw new IllegalArgumentException("maxBytes must be 0 (no limit) or at least " + Limits.MAX_ITEM_BYTES
                        + " (one item of the maximum size), got " + maxBytes);
            }
        }

        /** Whether this bound limits anything. */
        public boolean bounded() {
            return maxItems > 0 || maxBytes > 0;
        }
    }

    /** An item's place in the use order of a bounded backend. */
    private record Ref(String table, Key key) {
    }

    private final Clock clock;
    private final Capabilities capabilities;
    private final Bound bound;
    private final Map<String, NavigableMap<String, NavigableMap<String, RawItem>>> tables = new HashMap<>();
    /** Bounded only: every stored item, least recently used first, with its encoded size. */
    private final LinkedHashMap<Ref, Long> uses;
    private long bytes;
    private long evictions;
    private boolean closed;
    private final Notifier notifier;

    public MemoryBackend(Clock clock) {
        this(clock, EnumSet.of(Capability.TRANSACTIONS, Capability.BATCH, Capability.EXPIRY,
                Capability.CHANGE_NOTIFICATIONS, Capability.SCAN, Capability.IMPORT));
    }

    public MemoryBackend(Clock clock, Set<Capability> capabilities) {
        this(clock, capabilities, Bound.NONE);
    }

    /** A backend with every capability and the given bound. */
    public MemoryBackend(Clock clock, Bound bound) {
        this(clock, EnumSet.of(Capability.TRANSACTIONS, Capability.BATCH, Capability.EXPIRY, Capability.SCAN,
                Capability.IMPORT), bound);
    }

    public MemoryBackend(Clock clock, Set<Capability> capabilities, Bound bound) {
        this.clock = clock;
        boolean tx = capabilities.contains(Capability.TRANSACTIONS);
        this.capabilities = new Capabilities(capabilities, tx ? MAX_TRANSACTION_ITEMS : 0,
                tx ? MAX_TRANSACTION_BYTES : 0, MAX_BATCH_GET, MAX_BATCH_WRITE);
        this.bound = java.util.Objects.requireNonNull(bound, "bound");
        this.uses = bound.bounded() ? new LinkedHashMap<>(16, 0.75f, true) : null;
        this.notifier = capabilities.contains(Capability.CHANGE_NOTIFICATIONS) ? new Notifier() : null;
    }

    /** The bound this backend keeps ({@link Bound#NONE} if none). */
    public Bound bound() {
        return bound;
    }

    /**
     * Present when built with {@link Capability#CHANGE_NOTIFICATIONS} (the default): listeners of a
     * partition are called after every successful write to it through this backend, on the writing
     * thread, after the backend's lock is released. There is no other process to hear from.
     */
    @Override
    public Optional<ChangeNotifier> changeNotifier() {
        return Optional.ofNullable(notifier);
    }

    /** Listeners by table and partition. */
    private static final class Notifier implements ChangeNotifier {
        private final Map<String, List<Runnable>> listeners = new ConcurrentHashMap<>();

        private static String key(String table, String pk) {
            return table + "\u0000" + pk;
        }

        @Override
        public Registration listen(String table, String pk, Runnable listener) {
            String key = key(table, pk);
            Runnable mine = java.util.Objects.requireNonNull(listener, "listener")::run;
            listeners.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(mine);
            return () -> listeners.computeIfPresent(key, (k, list) -> {
                list.remove(mine);
                return list.isEmpty() ? null : list;
            });
        }

        void announce(String table, String pk) {
            List<Runnable> list = listeners.get(key(table, pk));
            if (list == null) {
                return;
            }
            for (Runnable r : list) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    // A listener's failure is its own; the write has been applied.
                }
            }
        }
    }

    /** Announces the partitions of writes that applied (called without the lock). */
    private <T> CompletableFuture<T> announced(CompletableFuture<T> result, List<? extends WriteOp> ops) {
        if (notifier != null && !result.isCompletedExceptionally() && !notifier.listeners.isEmpty()) {
            Set<String> seen = new java.util.HashSet<>();
            for (WriteOp op : ops) {
                if (!(op instanceof WriteOp.Check) && seen.add(op.table() + "\u0000" + op.key().pk())) {
                    notifier.announce(op.table(), op.key().pk());
                }
            }
        }
        return result;
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public synchronized CompletableFuture<Void> prepareTable(String table) {
        if (closed) {
            return closedFuture();
        }
        tables.computeIfAbsent(table, t -> new TreeMap<>(SortKeys::compare));
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized CompletableFuture<Optional<RawItem>> get(String table, Key key) {
        if (closed) {
            return closedFuture();
        }
        RawItem item = live(table, key, now());
        if (item != null) {
            used(table, key);
        }
        return CompletableFuture.completedFuture(Optional.ofNullable(item).map(MemoryBackend::fresh));
    }

    @Override
    public CompletableFuture<Long> put(WriteOp.Put put) {
        CompletableFuture<Long> result;
        synchronized (this) {
            result = putLocked(put);
        }
        return announced(result, List.of(put));
    }

    private CompletableFuture<Long> putLocked(WriteOp.Put put) {
        if (closed) {
            return closedFuture();
        }
        Instant now = now();
        RawItem current = live(put.table(), put.key(), now);
        if (!holds(put.condition(), current)) {
            return CompletableFuture.failedFuture(failed(put, current, -1));
        }
        long version = apply(put, current);
        evict();
        return CompletableFuture.completedFuture(version);
    }

    @Override
    public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
        CompletableFuture<Boolean> result;
        synchronized (this) {
            result = deleteLocked(delete);
        }
        return announced(result, List.of(delete));
    }

    private CompletableFuture<Boolean> deleteLocked(WriteOp.Delete delete) {
        if (closed) {
            return closedFuture();
        }
        RawItem current = live(delete.table(), delete.key(), now());
        if (!holds(delete.condition(), current)) {
            return CompletableFuture.failedFuture(failed(delete, current, -1));
        }
        remove(delete.table(), delete.key());
        return CompletableFuture.completedFuture(current != null);
    }

    @Override
    public synchronized CompletableFuture<RawPage> query(QuerySpec q) {
        if (closed) {
            return closedFuture();
        }
        NavigableMap<String, RawItem> partition = table(q.table()).get(q.pk());
        if (partition == null) {
            return CompletableFuture.completedFuture(new RawPage(List.of(), null));
        }
        NavigableMap<String, RawItem> view = q.direction() == Direction.ASCENDING ? partition : partition.descendingMap();
        if (q.exclusiveStartSk() != null) {
            view = view.tailMap(q.exclusiveStartSk(), false);
        }
        Instant now = now();
        List<RawItem> items = new ArrayList<>();
        boolean more = false;
        for (Iterator<RawItem> it = view.values().iterator(); it.hasNext(); ) {
            RawItem item = it.next();
            if (!SortKeys.inRange(item.key().sk(), q.range()) || item.expiredAt(now)) {
                if (pastRange(item.key().sk(), q.range(), q.direction())) {
                    break;
                }
                continue;
            }
            if (items.size() == q.limit()) {
                more = true;
                break;
            }
            items.add(fresh(item));
        }
        String last = more ? items.get(items.size() - 1).key().sk() : null;
        return CompletableFuture.completedFuture(new RawPage(items, last));
    }

    /** A copy with its own payload array: callers own the arrays a backend returns. */
    private static RawItem fresh(RawItem item) {
        return new RawItem(item.key(), item.payload().clone(), item.version(), item.expiresAt());
    }

    /** Whether every later key in this direction is outside the range too (to stop early). */
    private static boolean pastRange(String sk, KeyRange range, Direction direction) {
        boolean asc = direction == Direction.ASCENDING;
        if (range instanceof KeyRange.Prefix p) {
            return asc ? SortKeys.compare(sk, p.prefix()) > 0 && !sk.startsWith(p.prefix())
                    : SortKeys.compare(sk, p.prefix()) < 0;
        } else if (range instanceof KeyRange.Between b) {
            return asc ? SortKeys.compare(sk, b.to()) > 0 : SortKeys.compare(sk, b.from()) < 0;
        } else if (range instanceof KeyRange.AtLeast a) {
            return !asc && SortKeys.compare(sk, a.from()) < 0;
        } else if (range instanceof KeyRange.AtMost a) {
            return asc && SortKeys.compare(sk, a.to()) > 0;
        }
        return false;
    }

    @Override
    public synchronized CompletableFuture<List<RawItem>> batchGet(String table, List<Key> keys) {
        if (closed) {
            return closedFuture();
        }
        Instant now = now();
        List<RawItem> found = new ArrayList<>();
        for (Key key : keys) {
            RawItem item = live(table, key, now);
            if (item != null) {
                used(table, key);
                found.add(fresh(item));
            }
        }
        return CompletableFuture.completedFuture(found);
    }

    @Override
    public CompletableFuture<Void> batchWrite(String table, List<WriteOp> writes) {
        CompletableFuture<Void> result;
        synchronized (this) {
            result = batchWriteLocked(writes);
        }
        return announced(result, writes);
    }

    private CompletableFuture<Void> batchWriteLocked(List<WriteOp> writes) {
        if (closed) {
            return closedFuture();
        }
        Instant now = now();
        for (WriteOp op : writes) {
            RawItem current = live(op.table(), op.key(), now);
            if (op instanceof WriteOp.Put put) {
                apply(put, current);
            } else if (op instanceof WriteOp.Delete) {
                remove(op.table(), op.key());
            }
        }
        evict();
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
        CompletableFuture<List<Long>> result;
        synchronized (this) {
            result = transactLocked(operations);
        }
        return announced(result, operations);
    }

    private CompletableFuture<List<Long>> transactLocked(List<WriteOp> operations) {
        if (closed) {
            return closedFuture();
        }
        Instant now = now();
        List<RawItem> currents = new ArrayList<>(operations.size());
        for (int i = 0; i < operations.size(); i++) {
            WriteOp op = operations.get(i);
            RawItem current = live(op.table(), op.key(), now);
            if (!holds(op.condition(), current)) {
                return CompletableFuture.failedFuture(failed(op, current, i));
            }
            currents.add(current);
        }
        List<Long> versions = new ArrayList<>(operations.size());
        for (int i = 0; i < operations.size(); i++) {
            WriteOp op = operations.get(i);
            if (op instanceof WriteOp.Put put) {
                versions.add(apply(put, currents.get(i)));
            } else {
                if (op instanceof WriteOp.Delete) {
                    remove(op.table(), op.key());
                }
                versions.add(0L);
            }
        }
        evict();
        return CompletableFuture.completedFuture(versions);
    }

    // --- scan and import ---

    /** The tag of this backend's scan positions. */
    private static final String TAG = "memory";

    @Override
    public synchronized CompletableFuture<List<String>> listTables() {
        if (closed) {
            return closedFuture();
        }
        return CompletableFuture.completedFuture(List.copyOf(new java.util.TreeSet<>(tables.keySet())));
    }

    /** Every key is in memory: the boundaries are exact quantiles of the keys. */
    @Override
    public synchronized CompletableFuture<ScanPlan> scanSegments(String table, int segments) {
        if (closed) {
            return closedFuture();
        }
        List<Key> keys = new ArrayList<>();
        table(table).forEach((pk, partition) -> partition.keySet().forEach(sk -> keys.add(Key.of(pk, sk))));
        List<String> positions = new ArrayList<>(segments);
        for (KeySegment s : KeySegment.split(TAG, KeySegment.quantiles(keys, segments), segments)) {
            positions.add(s.encode());
        }
        return CompletableFuture.completedFuture(new ScanPlan(positions, keys.size()));
    }

    @Override
    public synchronized CompletableFuture<ScanPage> scan(String table, String position, int limit) {
        if (closed) {
            return closedFuture();
        }
        KeySegment segment;
        try {
            segment = KeySegment.decode(position, TAG);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (segment.empty()) {
            return CompletableFuture.completedFuture(new ScanPage(List.of(), null, 0));
        }
        Instant now = now();
        NavigableMap<String, NavigableMap<String, RawItem>> t = table(table);
        Key start = segment.after() != null ? segment.after() : segment.from();
        NavigableMap<String, NavigableMap<String, RawItem>> partitions = start == null ? t : t.tailMap(start.pk(), true);
        List<RawItem> items = new ArrayList<>();
        long bytes = 0;
        int expired = 0;
        Key last = null;
        for (Map.Entry<String, NavigableMap<String, RawItem>> p : partitions.entrySet()) {
            NavigableMap<String, RawItem> partition = p.getValue();
            if (start != null && p.getKey().equals(start.pk())) {
                partition = partition.tailMap(start.sk(), true);
            }
            for (RawItem item : partition.values()) {
                Key k = item.key();
                if (segment.pastEnd(k)) {
                    return CompletableFuture.completedFuture(new ScanPage(items, null, expired));
                }
                if (!segment.admits(k)) {
                    continue;
                }
                if (items.size() == limit || (!items.isEmpty() && bytes + item.payload().length > ScanPage.MAX_BYTES)) {
                    return CompletableFuture.completedFuture(new ScanPage(items, segment.resumeAfter(last).encode(),
                            expired));
                }
                last = k;
                if (item.expiredAt(now)) {
                    expired++;
                    continue;
                }
                items.add(fresh(item));
                bytes += item.payload().length;
            }
        }
        return CompletableFuture.completedFuture(new ScanPage(items, null, expired));
    }

    @Override
    public synchronized CompletableFuture<List<ImportOutcome>> importItems(String table, List<RawItem> items,
                                                                          ImportMode mode) {
        if (closed) {
            return closedFuture();
        }
        Instant now = now();
        List<ImportOutcome> outcomes = new ArrayList<>(items.size());
        for (RawItem item : items) {
            if (item.expiredAt(now)) {
                outcomes.add(ImportOutcome.expired());
                continue;
            }
            RawItem current = live(table, item.key(), now);
            if (mode == ImportMode.IF_NEWER && current != null && current.version() >= item.version()) {
                outcomes.add(ImportOutcome.kept(current.version()));
                continue;
            }
            table(table).computeIfAbsent(item.key().pk(), pk -> new TreeMap<>(SortKeys::compare))
                    .put(item.key().sk(), new RawItem(item.key(), item.payload().clone(), item.version(), item.expiresAt()));
            if (uses != null) {
                long size = Limits.itemSize(SortKeys.utf8Length(item.key().pk()), SortKeys.utf8Length(item.key().sk()),
                        item.payload().length);
                Long before = uses.put(new Ref(table, item.key()), size); // an import is a write: the most recent use
                bytes += size - (before == null ? 0 : before);
            }
            outcomes.add(ImportOutcome.written());
        }
        evict();
        return CompletableFuture.completedFuture(outcomes);
    }

    @Override
    public CompletableFuture<Health> health() {
        synchronized (this) {
            Map<String, String> details = new LinkedHashMap<>();
            details.put("tables", String.valueOf(tables.size()));
            if (uses != null) {
                details.put("items", String.valueOf(uses.size()));
                details.put("bytes", String.valueOf(bytes));
                details.put("max_items", bound.maxItems() == 0 ? "unbounded" : String.valueOf(bound.maxItems()));
                details.put("max_bytes", bound.maxBytes() == 0 ? "unbounded" : String.valueOf(bound.maxBytes()));
                details.put("evictions", String.valueOf(evictions));
            }
            return CompletableFuture.completedFuture(new Health(!closed, "memory", Duration.ZERO, details));
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        tables.clear();
        if (uses != null) {
            uses.clear();
            bytes = 0;
        }
    }

    // --- helpers, called with the lock held ---

    private Instant now() {
        return clock.instant();
    }

    private NavigableMap<String, NavigableMap<String, RawItem>> table(String table) {
        NavigableMap<String, NavigableMap<String, RawItem>> t = tables.get(table);
        if (t == null) {
            throw new IllegalStateException("table " + table + " was not prepared");
        }
        return t;
    }

    private RawItem live(String table, Key key, Instant now) {
        NavigableMap<String, RawItem> partition = table(table).get(key.pk());
        RawItem item = partition == null ? null : partition.get(key.sk());
        return item == null || item.expiredAt(now) ? null : item;
    }

    private long apply(WriteOp.Put put, RawItem current) {
        long version = current == null ? 1 : current.version() + 1;
        table(put.table()).computeIfAbsent(put.key().pk(), pk -> new TreeMap<>(SortKeys::compare))
                .put(put.key().sk(), new RawItem(put.key(), put.payload().clone(), version, put.expiresAt()));
        if (uses != null) {
            long size = Limits.itemSize(SortKeys.utf8Length(put.key().pk()), SortKeys.utf8Length(put.key().sk()),
                    put.payload().length);
            Long before = uses.put(new Ref(put.table(), put.key()), size); // also the most recent use now
            bytes += size - (before == null ? 0 : before);
        }
        return version;
    }

    private void remove(String table, Key key) {
        NavigableMap<String, NavigableMap<String, RawItem>> t = table(table);
        NavigableMap<String, RawItem> partition = t.get(key.pk());
        if (partition != null) {
            partition.remove(key.sk());
            if (partition.isEmpty()) {
                t.remove(key.pk());
            }
        }
        if (uses != null) {
            Long size = uses.remove(new Ref(table, key));
            if (size != null) {
                bytes -= size;
            }
        }
    }

    /** Bounded only: marks a live item read by its key as the most recently used. */
    private void used(String table, Key key) {
        if (uses != null) {
            uses.get(new Ref(table, key)); // an access-ordered map moves the entry to the end
        }
    }

    /**
     * Bounded only, after every write: removes least recently used items until the bound holds.
     * The operation's own writes are the most recent uses, so they go last.
     */
    private void evict() {
        if (uses == null) {
            return;
        }
        while ((bound.maxItems() > 0 && uses.size() > bound.maxItems())
                || (bound.maxBytes() > 0 && bytes > bound.maxBytes())) {
            Ref oldest = uses.keySet().iterator().next();
            remove(oldest.table(), oldest.key());
            evictions++;
        }
    }

    static boolean holds(Condition condition, RawItem current) {
        return condition.holds(current == null ? 0 : current.version());
    }

    private static ConditionFailedException failed(WriteOp op, RawItem current, int index) {
        String state = current == null ? "no item" : "version " + current.version();
        return new ConditionFailedException("condition " + op.condition() + " failed for " + op.key() + " in store '"
                + op.table() + "': found " + state + (index >= 0 ? " (transaction operation " + index + ")" : ""),
                op.key(), index, null);
    }

    private static <T> CompletableFuture<T> closedFuture() {
        return CompletableFuture.failedFuture(new UnavailableException("the memory backend is closed", null));
    }
}
