package com.example.tinykv;

import dev.polystore.Capabilities;
import dev.polystore.ConditionFailedException;
import dev.polystore.Direction;
import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.UnavailableException;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.SortKeys;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * A small in-process engine: sorted maps under one lock, no optional capability (no
 * transactions, batches or expiry). It is the sample third-party backend the Polystore build
 * compiles and tests with the documented setup; thread-safe (every method holds the lock).
 */
final class TinyKvBackend implements StorageBackend {
    private record Entry(byte[] payload, long version) {
    }

    /** table -> pk -> sk (in UTF-8 byte order) -> entry. */
    private final Map<String, Map<String, NavigableMap<String, Entry>>> tables = new HashMap<>();
    private boolean closed;

    @Override
    public Capabilities capabilities() {
        return Capabilities.none();
    }

    @Override
    public synchronized CompletableFuture<Void> prepareTable(String table) {
        if (closed) {
            return closedFuture();
        }
        tables.computeIfAbsent(table, t -> new HashMap<>());
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public synchronized CompletableFuture<Optional<RawItem>> get(String table, Key key) {
        if (closed) {
            return closedFuture();
        }
        Entry e = partition(table, key.pk()).get(key.sk());
        return CompletableFuture.completedFuture(Optional.ofNullable(e).map(found -> item(key, found)));
    }

    @Override
    public synchronized CompletableFuture<Long> put(WriteOp.Put put) {
        if (closed) {
            return closedFuture();
        }
        NavigableMap<String, Entry> partition = partition(put.table(), put.key().pk());
        Entry current = partition.get(put.key().sk());
        long currentVersion = current == null ? 0 : current.version();
        if (!put.condition().holds(currentVersion)) {
            return conditionFailed(put, currentVersion);
        }
        // The payload array is ours to keep (the SPI says so); reads hand out copies.
        partition.put(put.key().sk(), new Entry(put.payload(), currentVersion + 1));
        return CompletableFuture.completedFuture(currentVersion + 1);
    }

    @Override
    public synchronized CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
        if (closed) {
            return closedFuture();
        }
        NavigableMap<String, Entry> partition = partition(delete.table(), delete.key().pk());
        Entry current = partition.get(delete.key().sk());
        long currentVersion = current == null ? 0 : current.version();
        if (!delete.condition().holds(currentVersion)) {
            return conditionFailed(delete, currentVersion);
        }
        return CompletableFuture.completedFuture(partition.remove(delete.key().sk()) != null);
    }

    @Override
    public synchronized CompletableFuture<RawPage> query(QuerySpec q) {
        if (closed) {
            return closedFuture();
        }
        NavigableMap<String, Entry> partition = partition(q.table(), q.pk());
        NavigableMap<String, Entry> ordered = q.direction() == Direction.ASCENDING ? partition : partition.descendingMap();
        if (q.exclusiveStartSk() != null) {
            ordered = ordered.tailMap(q.exclusiveStartSk(), false);
        }
        List<RawItem> page = new ArrayList<>();
        String last = null;
        for (Map.Entry<String, Entry> e : ordered.entrySet()) {
            if (!SortKeys.inRange(e.getKey(), q.range())) {
                continue;
            }
            if (page.size() == q.limit()) {
                last = page.get(page.size() - 1).key().sk(); // more follow: say where to resume
                break;
            }
            page.add(item(new Key(q.pk(), e.getKey()), e.getValue()));
        }
        return CompletableFuture.completedFuture(new RawPage(page, last));
    }

    @Override
    public synchronized CompletableFuture<Health> health() {
        return CompletableFuture.completedFuture(new Health(!closed, name(), Duration.ZERO,
                closed ? Map.of("error", "closed") : Map.of()));
    }

    @Override
    public String name() {
        return "tinykv";
    }

    @Override
    public synchronized void close() {
        closed = true;
        tables.clear();
    }

    private NavigableMap<String, Entry> partition(String table, String pk) {
        return tables.computeIfAbsent(table, t -> new HashMap<>())
                .computeIfAbsent(pk, p -> new TreeMap<>(SortKeys.UTF8_ORDER));
    }

    private static RawItem item(Key key, Entry e) {
        return new RawItem(key, e.payload().clone(), e.version(), null);
    }

    private static <T> CompletableFuture<T> conditionFailed(WriteOp op, long currentVersion) {
        return CompletableFuture.failedFuture(new ConditionFailedException("condition " + op.condition() + " failed for "
                + op.key() + ": found " + (currentVersion == 0 ? "no item" : "version " + currentVersion), op.key()));
    }

    private static <T> CompletableFuture<T> closedFuture() {
        return CompletableFuture.failedFuture(new UnavailableException("the tinykv backend is closed", null));
    }
}
