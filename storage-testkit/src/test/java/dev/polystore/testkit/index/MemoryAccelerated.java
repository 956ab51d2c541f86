package dev.polystore.testkit.index;

import dev.polystore.Capabilities;
import dev.polystore.Capability;
import dev.polystore.ConditionFailedException;
import dev.polystore.Direction;
import dev.polystore.Key;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.IndexAccelerator;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.SortKeys;
import dev.polystore.spi.StorageBackend;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * A memory backend with an {@link IndexAccelerator} of its own, for the kit's self-test: entries
 * in sorted maps beside the items, written under one lock with the item transaction (the memory
 * backend completes synchronously). {@code forgetDeletes} and {@code ignoreHolders} break it the ways the kit must catch. Kept open by
 * {@link #close()} so that one engine serves every storage of a test.
 */
final class MemoryAccelerated extends ForwardingStorageBackend {
    private record Row(Key item, Instant expiresAt) {
    }

    private final Clock clock;
    private final boolean forgetDeletes;
    private final boolean ignoreHolders;
    private final String place = "memory-" + UUID.randomUUID();
    /** table + U+0000 + entry pk -> entry sk (UTF-8 order) -> row. */
    private final Map<String, NavigableMap<String, Row>> entries = new HashMap<>();

    MemoryAccelerated(StorageBackend memory, Clock clock, boolean forgetDeletes) {
        this(memory, clock, forgetDeletes, false);
    }

    /** @param ignoreHolders also broken: a unique entry is written over another item's (two holders) */
    MemoryAccelerated(StorageBackend memory, Clock clock, boolean forgetDeletes, boolean ignoreHolders) {
        super(memory);
        this.clock = clock;
        this.forgetDeletes = forgetDeletes;
        this.ignoreHolders = ignoreHolders;
    }

    @Override
    public Capabilities capabilities() {
        Capabilities c = delegate().capabilities();
        Set<Capability> with = EnumSet.copyOf(c.supported());
        with.add(Capability.NATIVE_INDEXES);
        return new Capabilities(with, c.maxTransactionItems(), c.maxTransactionBytes(), c.maxBatchGetItems(),
                c.maxBatchWriteItems(), c.transactionsAcrossPartitions());
    }

    private final IndexAccelerator accelerator = new IndexAccelerator() {
        @Override
        public CompletableFuture<String> prepareEntries(String table) {
            return delegate().prepareTable(table).thenApply(v -> place);
        }

        @Override
        public CompletableFuture<List<Long>> transact(List<dev.polystore.spi.WriteOp> operations, List<EntryWrite> writes) {
            synchronized (entries) {
                Instant now = clock.instant();
                int n = operations.size();
                // The operations' conditions first, then the entries': a failure names the first that fails.
                for (int i = 0; i < n; i++) {
                    dev.polystore.spi.WriteOp op = operations.get(i);
                    long version = delegate().get(op.table(), op.key()).join().map(RawItem::version).orElse(0L);
                    if (!op.condition().holds(version)) {
                        return CompletableFuture.failedFuture(new ConditionFailedException("condition " + op.condition()
                                + " failed for " + op.key(), op.key(), i, null));
                    }
                }
                for (int j = 0; j < writes.size(); j++) {
                    if (writes.get(j) instanceof EntryWrite.Put p && p.unique() && !ignoreHolders) {
                        Row r = partition(p.table(), p.entry().pk()).get(p.entry().sk());
                        boolean releasedHere = writes.stream().anyMatch(w -> w instanceof EntryWrite.Delete d
                                && d.entry().equals(p.entry()) && r != null && d.item().equals(r.item()));
                        if (r != null && live(r, now) && !r.item().equals(p.item()) && !releasedHere) {
                            return CompletableFuture.failedFuture(new ConditionFailedException("unique entry "
                                    + p.entry() + " is held", p.item(), n + j, null));
                        }
                    }
                }
                List<Long> versions;
                try {
                    versions = delegate().transact(operations).join();
                } catch (java.util.concurrent.CompletionException e) {
                    return CompletableFuture.failedFuture(e.getCause());
                }
                for (EntryWrite w : writes) {
                    if (w instanceof EntryWrite.Delete d && !forgetDeletes) {
                        NavigableMap<String, Row> part = partition(d.table(), d.entry().pk());
                        Row r = part.get(d.entry().sk());
                        if (r != null && r.item().equals(d.item())) {
                            part.remove(d.entry().sk());
                        }
                    }
                }
                for (EntryWrite w : writes) {
                    if (w instanceof EntryWrite.Put p) {
                        partition(p.table(), p.entry().pk()).put(p.entry().sk(), new Row(p.item(), p.expiresAt()));
                    }
                }
                return CompletableFuture.completedFuture(versions);
            }
        }

        @Override
        public CompletableFuture<RawPage> query(QuerySpec q) {
            synchronized (entries) {
                Instant now = clock.instant();
                NavigableMap<String, Row> part = partition(q.table(), q.pk());
                NavigableMap<String, Row> ordered = q.direction() == Direction.ASCENDING ? part : part.descendingMap();
                List<RawItem> items = new ArrayList<>();
                String last = null;
                for (Map.Entry<String, Row> e : ordered.entrySet()) {
                    String sk = e.getKey();
                    if (!SortKeys.inRange(sk, q.range())) {
                        continue;
                    }
                    if (q.exclusiveStartSk() != null) {
                        int c = SortKeys.compare(sk, q.exclusiveStartSk());
                        if (q.direction() == Direction.ASCENDING ? c <= 0 : c >= 0) {
                            continue;
                        }
                    }
                    if (!live(e.getValue(), now)) {
                        continue;
                    }
                    Optional<RawItem> item = delegate().get(q.table(), e.getValue().item()).join();
                    if (item.isEmpty()) {
                        continue;
                    }
                    if (items.size() == q.limit()) {
                        return CompletableFuture.completedFuture(new RawPage(items, last));
                    }
                    items.add(item.get());
                    last = sk;
                }
                return CompletableFuture.completedFuture(new RawPage(items, null));
            }
        }
    };

    private static boolean live(Row r, Instant now) {
        return r.expiresAt() == null || now.isBefore(r.expiresAt());
    }

    private NavigableMap<String, Row> partition(String table, String pk) {
        return entries.computeIfAbsent(table + "\u0000" + pk, k -> new TreeMap<>(SortKeys.UTF8_ORDER));
    }

    /** The engine is shared by every storage of a test (and held in memory only): nothing to release. */
    @Override
    public void close() {
    }

    @Override
    public Optional<IndexAccelerator> indexAccelerator() {
        return Optional.of(accelerator);
    }
}
