package dev.polystore.memory;

import dev.polystore.Capabilities;
import dev.polystore.Capability;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Direction;
import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.KeyRange;
import dev.polystore.UnavailableException;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.SegmentReader;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import dev.polystore.spi.SortKeys;
import java.time.Clock;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * The reference backend: every item in sorted maps behind one lock, every operation applied
 * atomically and completed before it returns. It is the model the testkit checks other
 * backends against, and a fast backend for users' unit tests. Nothing is persisted.
 *
 * <p>Thread-safe. Declares every capability unless built with fewer (for tests of the
 * unsupported-capability path).
 */
public final class MemoryBackend implements StorageBackend {
    /** Same limits as the strictest engine we ship (DynamoDB), so tests on memory stay portable. */
    public static final int MAX_TRANSACTION_ITEMS = 100;
    public static final long MAX_TRANSACTION_BYTES = 4L * 1024 * 1024;
    public static final int MAX_BATCH_GET = 100;
    public static final int MAX_BATCH_WRITE = 25;

    private final Clock clock;
    private final Capabilities capabilities;
    private final Map<String, NavigableMap<String, NavigableMap<String, RawItem>>> tables = new HashMap<>();
    private boolean closed;

    public MemoryBackend(Clock clock) {
        this(clock, EnumSet.of(Capability.TRANSACTIONS, Capability.BATCH, Capability.EXPIRY));
    }

    public MemoryBackend(Clock clock, Set<Capability> capabilities) {
        this.clock = clock;
        boolean tx = capabilities.contains(Capability.TRANSACTIONS);
        this.capabilities = new Capabilities(capabilities, tx ? MAX_TRANSACTION_ITEMS : 0,
                tx ? MAX_TRANSACTION_BYTES : 0, MAX_BATCH_GET, MAX_BATCH_WRITE);
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
        return CompletableFuture.completedFuture(Optional.ofNullable(live(table, key, now())).map(MemoryBackend::fresh));
    }

    @Override
    public synchronized CompletableFuture<Long> put(WriteOp.Put put) {
        if (closed) {
            return closedFuture();
        }
        Instant now = now();
        RawItem current = live(put.table(), put.key(), now);
        if (!holds(put.condition(), current)) {
            return CompletableFuture.failedFuture(failed(put, current, -1));
        }
        return CompletableFuture.completedFuture(apply(put, current));
    }

    @Override
    public synchronized CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
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
                found.add(fresh(item));
            }
        }
        return CompletableFuture.completedFuture(found);
    }

    @Override
    public synchronized CompletableFuture<Void> batchWrite(String table, List<WriteOp> writes) {
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
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
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
        return CompletableFuture.completedFuture(versions);
    }

    /** One segment per table, read in key order; a position is the last key read. */
    private final SegmentReader segmentReader = new SegmentReader() {
        @Override
        public int segments(String table) {
            return 1;
        }

        @Override
        public CompletableFuture<SegmentPage> read(String table, int segment, int segments, String position, int limit) {
            synchronized (MemoryBackend.this) {
                if (closed) {
                    return closedFuture();
                }
                if (segment != 0 || segments != 1) {
                    return CompletableFuture.failedFuture(new IllegalArgumentException("the memory backend reads a table "
                            + "in 1 segment, not segment " + segment + " of " + segments));
                }
                NavigableMap<String, NavigableMap<String, RawItem>> t = table(table);
                String afterPk = null;
                String afterSk = null;
                if (position != null) {
                    String decoded = new String(Base64.getUrlDecoder().decode(position), StandardCharsets.UTF_8);
                    int split = decoded.indexOf('\u0000');
                    afterPk = decoded.substring(0, split);
                    afterSk = decoded.substring(split + 1);
                }
                Instant now = now();
                List<RawItem> items = new ArrayList<>();
                NavigableMap<String, NavigableMap<String, RawItem>> partitions = afterPk == null ? t : t.tailMap(afterPk, true);
                RawItem last = null;
                outer:
                for (Map.Entry<String, NavigableMap<String, RawItem>> p : partitions.entrySet()) {
                    NavigableMap<String, RawItem> rows = afterPk != null && p.getKey().equals(afterPk)
                            ? p.getValue().tailMap(afterSk, false) : p.getValue();
                    for (RawItem item : rows.values()) {
                        if (items.size() == limit) {
                            break outer;
                        }
                        last = item;
                        if (!item.expiredAt(now)) {
                            items.add(fresh(item));
                        }
                    }
                }
                boolean more = last != null && hasAfter(t, last.key());
                String next = more ? Base64.getUrlEncoder().withoutPadding().encodeToString(
                        (last.key().pk() + "\u0000" + last.key().sk()).getBytes(StandardCharsets.UTF_8)) : null;
                return CompletableFuture.completedFuture(new SegmentPage(items, next));
            }
        }
    };

    private static boolean hasAfter(NavigableMap<String, NavigableMap<String, RawItem>> t, Key key) {
        NavigableMap<String, RawItem> rows = t.get(key.pk());
        if (rows != null && rows.higherKey(key.sk()) != null) {
            return true;
        }
        return t.higherKey(key.pk()) != null;
    }

    @Override
    public Optional<SegmentReader> segmentReader() {
        return Optional.of(segmentReader);
    }

    @Override
    public CompletableFuture<Health> health() {
        synchronized (this) {
            return CompletableFuture.completedFuture(new Health(!closed, "memory", Duration.ZERO,
                    Map.of("tables", String.valueOf(tables.size()))));
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        tables.clear();
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
