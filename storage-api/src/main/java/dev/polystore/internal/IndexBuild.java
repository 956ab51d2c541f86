package dev.polystore.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.polystore.Capability;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.IndexSpec;
import dev.polystore.IndexStatus;
import dev.polystore.JacksonCodec;
import dev.polystore.Key;
import dev.polystore.Limits;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.UniqueIndexViolationException;
import dev.polystore.ValidationException;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.WriteOp;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backfill of one index: reads the whole table segment by segment through the backend's scan
 * ({@link Capability#SCAN}: {@code scanSegments} once, then {@code scan} page by page) and
 * gives every item its entries, each item in its own transaction conditioned on the version read
 * ({@code check ifVersion(v)} plus the entry puts), so that an item a writer changed meanwhile is
 * left to that writer (which maintains the index already). Progress (per segment: the position
 * after the last page whose items are all acknowledged, or done) is written to the item
 * {@code ~ix/ build/<index>} after each page, so a build resumes where it stopped, from any
 * process; several builders at once repeat some work and skip none. When every segment is read,
 * the catalog marks the index ready.
 *
 * <p>Progress payload (JSON): {@code {"format":2,"segments":n,"positions":[p|null,...],"done":[b,...],"items":n}}
 * (a position is the backend's scan position to resume from; null once its segment is done).
 * Format 1 (positions of the provisional segment reader that preceded the scan, never released)
 * is not read.
 */
final class IndexBuild<T> {
    private static final Logger LOG = LoggerFactory.getLogger(IndexBuild.class);
    private static final ObjectMapper JSON = JacksonCodec.defaultMapper();
    /** Items read per page. */
    static final int PAGE = 100;
    /**
     * Segments a build plans: one, since a build reads its segments one after the other anyway
     * (more would only add plan work and progress entries).
     */
    static final int SEGMENTS = 1;
    /** Items of one page written at once. */
    private static final int CONCURRENCY = 16;
    /** Attempts per item before the build gives up (it can be resumed). */
    private static final int ITEM_ATTEMPTS = 8;

    /** A build's recorded progress. */
    private record Progress(long version, int segments, List<String> positions, List<Boolean> done, long items) {
        int segmentsDone() {
            return (int) done.stream().filter(d -> d).count();
        }
    }

    private final DefaultStorage storage;
    private final DefaultStore<T> store;
    private final IndexSpec<? super T> spec;
    private final String table;
    private final Key progressKey;

    private IndexBuild(DefaultStorage storage, DefaultStore<T> store, IndexSpec<? super T> spec) {
        this.storage = storage;
        this.store = store;
        this.spec = spec;
        this.table = store.name();
        this.progressKey = IndexEntries.buildKey(spec.name());
    }

    /** The index's status: the catalog's state, with the progress of a build if one has started. */
    static CompletableFuture<IndexStatus> status(DefaultStorage storage, String table, String index,
                                                 IndexStatus.State state) {
        if (state == IndexStatus.State.READY) {
            return CompletableFuture.completedFuture(new IndexStatus(table, index, state, 0, 0, 0));
        }
        Key key = IndexEntries.buildKey(index);
        return storage.call(table, () -> storage.spi().get(table, key)).thenApply(found -> {
            if (found.isEmpty()) {
                return new IndexStatus(table, index, state, 0, 0, 0);
            }
            Progress p = parse(table, found.get());
            return new IndexStatus(table, index, state, p.segments(), p.segmentsDone(), p.items());
        });
    }

    static <T> CompletableFuture<IndexStatus> run(DefaultStorage storage, DefaultStore<T> store,
                                                  IndexSpec<? super T> spec, long maxItems) {
        return new IndexBuild<>(storage, store, spec).run(maxItems);
    }

    private IndexCatalog catalog() {
        return storage.indexCatalog(table);
    }

    private CompletableFuture<IndexStatus> run(long maxItems) {
        return catalog().writable().thenCompose(v -> catalog().refresh()).thenCompose(view -> {
            if (view.state(spec.name()) == IndexStatus.State.READY) {
                return CompletableFuture.completedFuture(new IndexStatus(table, spec.name(), IndexStatus.State.READY,
                        0, 0, 0));
            }
            if (!storage.spi().capabilities().has(Capability.SCAN)) {
                return CompletableFuture.<IndexStatus>failedFuture(new dev.polystore.UnsupportedCapabilityException(
                        storage.backend(), Capability.SCAN));
            }
            return startOrResume(1).thenCompose(p -> segments(p, maxItems, 0));
        });
    }

    private CompletableFuture<Progress> startOrResume(int attempt) {
        return readProgress().thenCompose(found -> {
            if (found.isPresent()) {
                return CompletableFuture.completedFuture(found.get());
            }
            return storage.call(table, () -> storage.spi().scanSegments(table, SEGMENTS)).thenCompose(plan -> {
                List<String> positions = new ArrayList<>(plan.positions());
                List<Boolean> done = new ArrayList<>();
                positions.forEach(p -> done.add(false));
                return writeProgress(new Progress(0, positions.size(), positions, done, 0));
            }).handle((p, e) -> {
                if (e == null) {
                    return CompletableFuture.completedFuture(p);
                }
                Throwable cause = Futures.unwrap(e);
                if (cause instanceof ConditionFailedException && attempt < 8) {
                    return startOrResume(attempt + 1); // another builder started at the same time
                }
                return CompletableFuture.<Progress>failedFuture(cause);
            }).thenCompose(x -> x);
        });
    }

    /** Reads the next page of the first unfinished segment, indexes it, records it, until done or the budget is spent. */
    private CompletableFuture<IndexStatus> segments(Progress progress, long maxItems, long read) {
        int segment = progress.done().indexOf(false);
        if (segment < 0) {
            return catalog().markReady(List.of(spec.name()), 1).thenCompose(v ->
                    storage.call(table, () -> storage.spi().delete(new WriteOp.Delete(table, progressKey,
                            Condition.none())))).thenApply(x -> {
                LOG.debug("Built index '{}' of store '{}' ({} items read)", spec.name(), table, progress.items());
                return new IndexStatus(table, spec.name(), IndexStatus.State.READY, progress.segments(),
                        progress.segments(), progress.items());
            });
        }
        if (read >= maxItems) {
            return CompletableFuture.completedFuture(new IndexStatus(table, spec.name(), IndexStatus.State.BUILDING,
                    progress.segments(), progress.segmentsDone(), progress.items()));
        }
        String position = progress.positions().get(segment);
        return storage.call(table, () -> storage.spi().scan(table, position, PAGE))
                .thenCompose(page -> indexPage(page.items()).thenCompose(n -> {
                    List<String> positions = new ArrayList<>(progress.positions());
                    List<Boolean> done = new ArrayList<>(progress.done());
                    positions.set(segment, page.next());
                    done.set(segment, page.next() == null);
                    Progress next = new Progress(progress.version(), progress.segments(), positions, done,
                            progress.items() + page.items().size());
                    return saveProgress(next, 1).thenCompose(saved -> segments(saved, maxItems,
                            read + page.items().size()));
                }));
    }

    /** Gives every item of a page its entries, up to {@link #CONCURRENCY} at once. @return how many items */
    private CompletableFuture<Integer> indexPage(List<RawItem> items) {
        List<RawItem> todo = new ArrayList<>();
        for (RawItem item : items) {
            if (!IndexEntries.reserved(item.key().pk())) {
                todo.add(item);
            }
        }
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<CompletableFuture<Void>> lanes = new ArrayList<>();
        for (int i = 0; i < Math.min(CONCURRENCY, todo.size()); i++) {
            lanes.add(lane(todo, next, failure));
        }
        return CompletableFuture.allOf(lanes.toArray(CompletableFuture[]::new)).thenCompose(v -> failure.get() == null
                ? CompletableFuture.completedFuture(todo.size()) : CompletableFuture.failedFuture(failure.get()));
    }

    private CompletableFuture<Void> lane(List<RawItem> todo, AtomicInteger next, AtomicReference<Throwable> failure) {
        int i = next.getAndIncrement();
        if (i >= todo.size() || failure.get() != null) {
            return CompletableFuture.completedFuture(null);
        }
        return indexItem(todo.get(i), 1).handle((v, e) -> {
            if (e != null) {
                failure.compareAndSet(null, Futures.unwrap(e));
            }
            return null;
        }).thenCompose(v -> lane(todo, next, failure));
    }

    /**
     * Writes the entries of one item as read: {@code check ifVersion(v)} and a put per entry (a
     * key of a unique index under {@code ifAbsent}, unless this item holds it already).
     */
    private CompletableFuture<Void> indexItem(RawItem item, int attempt) {
        if (attempt > ITEM_ATTEMPTS) {
            return CompletableFuture.failedFuture(new UnavailableException("building index '" + spec.name()
                    + "' of store '" + table + "': item " + item.key() + " kept conflicting with concurrent writes "
                    + ITEM_ATTEMPTS + " times; the build stopped and resumes from the last recorded page when run again",
                    null));
        }
        List<IndexSet.Entry> entries = store.entriesOfPayload(spec, item.key(), item.payload());
        if (entries.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        if (entries.size() + 1 > storage.capabilities().maxTransactionItems()) {
            return CompletableFuture.failedFuture(new ValidationException("item " + item.key() + " of store '" + table
                    + "' has " + entries.size() + " keys in index '" + spec.name() + "'; with its check that needs "
                    + (entries.size() + 1) + " operations in one transaction, more than backend '" + storage.backend()
                    + "' allows (" + storage.capabilities().maxTransactionItems() + ")"));
        }
        if (storage.accelerator() != null) {
            return indexNatively(item, entries, attempt);
        }
        List<CompletableFuture<Condition>> conditions = new ArrayList<>();
        for (IndexSet.Entry e : entries) {
            if (!e.unique()) {
                conditions.add(CompletableFuture.completedFuture(Condition.none()));
                continue;
            }
            conditions.add(storage.call(table, () -> storage.spi().get(table, e.key())).thenApply(found -> {
                if (found.isEmpty()) {
                    return Condition.ifAbsent();
                }
                if (IndexEntries.decode(table, e.key(), found.get().payload()).key().equals(item.key())) {
                    return Condition.none();
                }
                throw new UniqueIndexViolationException(table, spec.name(), e.indexKey(), item.key(), -1);
            }));
        }
        return CompletableFuture.allOf(conditions.toArray(CompletableFuture[]::new)).thenCompose(v -> {
            List<WriteOp> ops = new ArrayList<>();
            ops.add(new WriteOp.Check(table, item.key(), Condition.ifVersion(item.version())));
            for (int i = 0; i < entries.size(); i++) {
                IndexSet.Entry e = entries.get(i);
                byte[] copy = IndexEntries.payload(item.key(), item.version(), item.payload());
                long size = Limits.itemSize(Keys.utf8Length(e.key().pk()), Keys.utf8Length(e.key().sk()), copy.length);
                if (size > Limits.MAX_ITEM_BYTES) {
                    throw new ValidationException("item " + item.key() + " is too large for index '" + spec.name()
                            + "' of store '" + table + "': its entry would be " + size + " bytes; the portable limit is "
                            + Limits.MAX_ITEM_BYTES);
                }
                ops.add(new WriteOp.Put(table, e.key(), copy, item.expiresAt(), conditions.get(i).join()));
            }
            return storage.call(table, () -> storage.spi().transact(ops)).handle((r, e) -> {
                if (e == null) {
                    return CompletableFuture.<Void>completedFuture(null);
                }
                Throwable cause = Futures.unwrap(e);
                if (cause instanceof ConditionFailedException cfe) {
                    if (cfe.operationIndex().isPresent() && cfe.operationIndex().getAsInt() == 0) {
                        return CompletableFuture.<Void>completedFuture(null); // changed since: its writer indexed it
                    }
                    return stillAt(item).thenCompose(same -> same ? indexItem(item, attempt + 1)
                            : CompletableFuture.<Void>completedFuture(null));
                }
                if (cause instanceof OutcomeUnknownException) {
                    // Idempotent: the same entries of the same version again.
                    return indexItem(item, attempt + 1);
                }
                return CompletableFuture.<Void>failedFuture(cause);
            }).thenCompose(x -> x);
        });
    }

    /**
     * {@link #indexItem} with native entries: {@code check ifVersion(v)} and a claim per entry in
     * one accelerator transaction (the engine refuses a unique key another live item holds).
     */
    private CompletableFuture<Void> indexNatively(RawItem item, List<IndexSet.Entry> entries, int attempt) {
        List<dev.polystore.spi.IndexAccelerator.EntryWrite> writes = new ArrayList<>();
        for (IndexSet.Entry e : entries) {
            long size = Limits.itemSize(Keys.utf8Length(e.key().pk()), Keys.utf8Length(e.key().sk()),
                    IndexEntries.payloadSize(item.key(), item.payload().length));
            if (size > Limits.MAX_ITEM_BYTES) {
                return CompletableFuture.failedFuture(new ValidationException("item " + item.key() + " is too large "
                        + "for index '" + spec.name() + "' of store '" + table + "': its entry would be " + size
                        + " bytes in the portable form; the portable limit is " + Limits.MAX_ITEM_BYTES));
            }
            writes.add(new dev.polystore.spi.IndexAccelerator.EntryWrite.Put(table, e.key(), item.key(),
                    item.expiresAt(), e.unique()));
        }
        List<WriteOp> check = List.of(new WriteOp.Check(table, item.key(), Condition.ifVersion(item.version())));
        dev.polystore.spi.IndexAccelerator accelerator = storage.accelerator();
        return storage.call(table, () -> accelerator.transact(check, writes)).handle((r, e) -> {
            if (e == null) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            Throwable cause = Futures.unwrap(e);
            if (cause instanceof ConditionFailedException cfe && cfe.operationIndex().isPresent()) {
                int index = cfe.operationIndex().getAsInt();
                if (index == 0) {
                    return CompletableFuture.<Void>completedFuture(null); // changed since: its writer indexed it
                }
                if (index - 1 < entries.size()) {
                    return CompletableFuture.<Void>failedFuture(new UniqueIndexViolationException(table, spec.name(),
                            entries.get(index - 1).indexKey(), item.key(), -1, cfe));
                }
            }
            if (cause instanceof ConditionFailedException || cause instanceof OutcomeUnknownException) {
                return stillAt(item).thenCompose(same -> same ? indexItem(item, attempt + 1)
                        : CompletableFuture.<Void>completedFuture(null));
            }
            return CompletableFuture.<Void>failedFuture(cause);
        }).thenCompose(x -> x);
    }

    /** Whether the item still has the version it was read at. */
    private CompletableFuture<Boolean> stillAt(RawItem item) {
        return storage.call(table, () -> storage.spi().get(table, item.key()))
                .thenApply(found -> found.isPresent() && found.get().version() == item.version());
    }

    private CompletableFuture<Optional<Progress>> readProgress() {
        return storage.call(table, () -> storage.spi().get(table, progressKey))
                .thenApply(found -> found.map(r -> parse(table, r)));
    }

    private CompletableFuture<Progress> writeProgress(Progress p) {
        Condition c = p.version() == 0 ? Condition.ifAbsent() : Condition.ifVersion(p.version());
        WriteOp.Put put = new WriteOp.Put(table, progressKey, render(p), null, c);
        return storage.call(table, () -> storage.spi().put(put)).thenApply(version ->
                new Progress(version, p.segments(), p.positions(), p.done(), p.items()));
    }

    /**
     * Records {@code p}; if another builder recorded progress meanwhile, records this one over
     * it (positions may move back, so some pages are read again; none is skipped, since each
     * builder records only pages it has indexed).
     */
    private CompletableFuture<Progress> saveProgress(Progress p, int attempt) {
        return writeProgress(p).handle((saved, e) -> {
            if (e == null) {
                return CompletableFuture.completedFuture(saved);
            }
            Throwable cause = Futures.unwrap(e);
            if (cause instanceof ConditionFailedException && attempt < 8) {
                return readProgress().thenCompose(found -> {
                    long version = found.map(Progress::version).orElse(0L);
                    List<Boolean> done = new ArrayList<>(p.done());
                    if (found.isPresent() && found.get().segments() == p.segments()) {
                        for (int i = 0; i < done.size(); i++) {
                            done.set(i, done.get(i) || found.get().done().get(i));
                        }
                    }
                    return saveProgress(new Progress(version, p.segments(), p.positions(), done, p.items()),
                            attempt + 1);
                });
            }
            return CompletableFuture.<Progress>failedFuture(cause);
        }).thenCompose(x -> x);
    }

    private static Progress parse(String table, RawItem item) {
        try {
            JsonNode root = JSON.readTree(item.payload());
            int segments = root.path("segments").asInt();
            List<String> positions = new ArrayList<>();
            List<Boolean> done = new ArrayList<>();
            for (int i = 0; i < segments; i++) {
                JsonNode p = root.path("positions").path(i);
                positions.add(p.isTextual() ? p.asText() : null);
                done.add(root.path("done").path(i).asBoolean());
            }
            if (segments < 1) {
                throw new IllegalArgumentException("no segments");
            }
            if (root.path("format").asInt() != 2) {
                throw new IllegalArgumentException("format " + root.path("format") + ", not 2");
            }
            for (int i = 0; i < segments; i++) {
                if (!done.get(i) && positions.get(i) == null) {
                    throw new IllegalArgumentException("segment " + i + " is not done and has no position");
                }
            }
            return new Progress(item.version(), segments, positions, done, root.path("items").asLong());
        } catch (IOException | RuntimeException e) {
            throw new StoreException("the build progress of an index of store '" + table + "' (item " + item.key()
                    + ") cannot be read: " + e + "; delete that item to start the build again", e);
        }
    }

    private static byte[] render(Progress p) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", 2);
        root.put("segments", p.segments());
        ArrayNode positions = root.putArray("positions");
        p.positions().forEach(x -> {
            if (x == null) {
                positions.addNull();
            } else {
                positions.add(x);
            }
        });
        ArrayNode done = root.putArray("done");
        p.done().forEach(done::add);
        root.put("items", p.items());
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
