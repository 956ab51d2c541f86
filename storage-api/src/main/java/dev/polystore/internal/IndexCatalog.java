package dev.polystore.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.IndexSpec;
import dev.polystore.IndexStatus;
import dev.polystore.JacksonCodec;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.WriteOp;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The catalog of one indexed table as one storage sees it: which indexes the table has (shared by
 * every process through the item {@code ~ix/ catalog}), whether each is built, and whether this
 * storage declares all of them. The first call that uses an indexed store registers the indexes
 * this storage declares (adding the new ones as {@code BUILDING}); a store found without any item
 * then has every index marked {@code READY} at once (a build that finds nothing).
 *
 * <p>Catalog payload (JSON): {@code {"format":1,"indexes":{"<name>":{"unique":b,"sorted":b,"state":"BUILDING"|"READY",
 * "entries":"items"|"native:<id>","retired":[...]}}}}. {@code entries} says where the index's
 * entries are kept ({@code items}: as items of the table, the portable form, also what a catalog
 * without the field means; {@code native:<id>}: by the backend's
 * {@link dev.polystore.spi.IndexAccelerator} whose entries' place is {@code <id>}), and
 * {@code retired} where they were kept before. A storage that keeps entries elsewhere than the
 * catalog says (the store was copied to another engine, or opened with or without the
 * accelerator) cannot trust the entries there: it registers the index again as {@code BUILDING}
 * at its own place, retiring the old one; a place that was retired before may hold stale
 * entries, so coming back to it is refused (declare the index under a new name).
 *
 * <p>Thread-safe.
 */
final class IndexCatalog {
    private static final Logger LOG = LoggerFactory.getLogger(IndexCatalog.class);
    private static final ObjectMapper JSON = JacksonCodec.defaultMapper();
    private static final int MAX_ATTEMPTS = 32;

    /** What the catalog says of one index. */
    record State(boolean unique, boolean sorted, IndexStatus.State state, String entries, List<String> retired) {
        State {
            retired = List.copyOf(retired);
        }

        State withState(IndexStatus.State newState) {
            return new State(unique, sorted, newState, entries, retired);
        }
    }

    /** Where a storage without index accelerator keeps entries: as items of the table. */
    static final String ITEMS = "items";

    /**
     * The catalog as read (or last written) by this storage.
     *
     * @param version the catalog item's version, 0 if there is none
     * @param undeclared indexes the catalog has that this storage does not declare
     */
    record View(long version, Map<String, State> indexes, List<String> undeclared) {
        IndexStatus.State state(String index) {
            State s = indexes.get(index);
            return s == null ? IndexStatus.State.BUILDING : s.state();
        }
    }

    private final DefaultStorage storage;
    private final String table;
    private final Map<String, IndexSpec<?>> declared;
    private final AtomicReference<CompletableFuture<View>> current = new AtomicReference<>();
    /** Where this storage keeps the entries of this table ({@link #ITEMS} or {@code native:<id>}), once known. */
    private volatile CompletableFuture<String> place;

    IndexCatalog(DefaultStorage storage, String table, List<? extends IndexSpec<?>> declared) {
        this.storage = storage;
        this.table = table;
        Map<String, IndexSpec<?>> byName = new LinkedHashMap<>();
        declared.forEach(s -> byName.put(s.name(), s));
        this.declared = Collections.unmodifiableMap(byName);
    }

    /** The indexed table. */
    String table() {
        return table;
    }

    /** The declared indexes, by name (what every other view of this table in this storage must declare too). */
    Map<String, IndexSpec<?>> declared() {
        return declared;
    }

    /** Whether {@code specs} declare the same indexes (names, uniqueness, sortedness) as this catalog's storage. */
    boolean sameDeclaration(List<? extends IndexSpec<?>> specs) {
        if (specs.size() != declared.size()) {
            return false;
        }
        for (IndexSpec<?> s : specs) {
            if (!s.equals(declared.get(s.name()))) {
                return false;
            }
        }
        return true;
    }

    /** The catalog, registered once per storage (again after a failed attempt). */
    CompletableFuture<View> view() {
        while (true) {
            CompletableFuture<View> f = current.get();
            if (f != null && !f.isCompletedExceptionally()) {
                return f;
            }
            CompletableFuture<View> fresh = new CompletableFuture<>();
            if (current.compareAndSet(f, fresh)) {
                register(1).whenComplete((v, e) -> {
                    if (e != null) {
                        fresh.completeExceptionally(Futures.unwrap(e));
                    } else {
                        fresh.complete(v);
                    }
                });
                return fresh;
            }
        }
    }

    /** Reads the catalog again (another process may have built an index), registering what is missing. */
    CompletableFuture<View> refresh() {
        return view().thenCompose(old -> register(1)).thenApply(v -> {
            current.set(CompletableFuture.completedFuture(v));
            return v;
        });
    }

    /** Completes when this storage may write the table: it declares every index the catalog has. */
    CompletableFuture<View> writable() {
        return view().thenCompose(v -> v.undeclared().isEmpty() ? CompletableFuture.completedFuture(v)
                : refresh().thenApply(fresh -> {
                    if (!fresh.undeclared().isEmpty()) {
                        throw new ValidationException("store '" + table + "' has the secondary "
                                + (fresh.undeclared().size() == 1 ? "index " : "indexes ") + quoted(fresh.undeclared())
                                + " (in its catalog, declared by another storage or process) that this storage does not "
                                + "declare: every writer of an indexed store must declare all its indexes, or their entries "
                                + "would go stale. Declare " + (fresh.undeclared().size() == 1 ? "it" : "them")
                                + " in StoreOptions.indexes(...); nothing was written");
                    }
                    return fresh;
                }));
    }

    private static String quoted(List<String> names) {
        List<String> q = new ArrayList<>();
        names.forEach(n -> q.add("'" + n + "'"));
        return String.join(", ", q);
    }

    /** Marks {@code index} ready (after a build that read every segment). */
    CompletableFuture<View> markReady(List<String> indexes, int attempt) {
        return read().thenCompose(found -> {
            Map<String, State> merged = new TreeMap<>(found.indexes());
            boolean changed = false;
            for (String index : indexes) {
                State s = merged.get(index);
                if (s != null && s.state() != IndexStatus.State.READY) {
                    merged.put(index, s.withState(IndexStatus.State.READY));
                    changed = true;
                }
            }
            if (!changed) {
                View v = view(found.version(), merged);
                current.set(CompletableFuture.completedFuture(v));
                return CompletableFuture.completedFuture(v);
            }
            return write(found.version(), merged).handle((version, e) -> {
                if (e == null) {
                    View v = view(version, merged);
                    current.set(CompletableFuture.completedFuture(v));
                    LOG.debug("Indexes {} of store '{}' are built", indexes, table);
                    return CompletableFuture.completedFuture(v);
                }
                Throwable cause = Futures.unwrap(e);
                if (cause instanceof ConditionFailedException && attempt < MAX_ATTEMPTS) {
                    return markReady(indexes, attempt + 1);
                }
                return CompletableFuture.<View>failedFuture(cause);
            }).thenCompose(x -> x);
        });
    }

    private View view(long version, Map<String, State> indexes) {
        List<String> undeclared = new ArrayList<>();
        for (String name : indexes.keySet()) {
            if (!declared.containsKey(name)) {
                undeclared.add(name);
            }
        }
        return new View(version, Collections.unmodifiableMap(new TreeMap<>(indexes)), List.copyOf(undeclared));
    }

    /** Reads the catalog, adds the declared indexes it lacks, writes it back if that changed anything. */
    private CompletableFuture<View> register(int attempt) {
        return place().thenCompose(here -> read().thenCompose(found -> register(attempt, here, found)));
    }

    /**
     * Where this storage keeps entries of this table: prepares the backend's accelerator for it
     * once (again after a failure).
     */
    CompletableFuture<String> place() {
        CompletableFuture<String> p = place;
        if (p == null || p.isCompletedExceptionally()) {
            dev.polystore.spi.IndexAccelerator a = storage.accelerator();
            p = a == null ? CompletableFuture.completedFuture(ITEMS)
                    : storage.call(table, () -> a.prepareEntries(table)).thenApply(id -> "native:" + id);
            place = p;
        }
        return p;
    }

    private CompletableFuture<View> register(int attempt, String here, Found found) {
        {
            Map<String, State> merged = new TreeMap<>(found.indexes());
            boolean changed = false;
            for (IndexSpec<?> d : declared.values()) {
                State s = merged.get(d.name());
                if (s == null) {
                    merged.put(d.name(), new State(d.unique(), d.sorted(), IndexStatus.State.BUILDING, here, List.of()));
                    changed = true;
                } else if (!s.entries().equals(here)) {
                    if (s.retired().contains(here)) {
                        return CompletableFuture.<View>failedFuture(new ValidationException("index '" + d.name()
                                + "' of store '" + table + "' is kept in " + s.entries() + " now; this storage keeps "
                                + "entries in " + here + ", where this index was kept before and may have entries "
                                + "gone stale since: declare the index under a new name here (or open the store the "
                                + "way it is kept now)"));
                    }
                    List<String> retired = new ArrayList<>(s.retired());
                    retired.add(s.entries());
                    LOG.info("Index '{}' of store '{}' was kept in {}; this storage keeps entries in {}: it is "
                            + "registered there as building", d.name(), table, s.entries(), here);
                    merged.put(d.name(), new State(s.unique(), s.sorted(), IndexStatus.State.BUILDING, here, retired));
                    changed = true;
                }
                if (s == null) {
                    continue;
                } else if (s.unique() != d.unique() || s.sorted() != d.sorted()) {
                    return CompletableFuture.<View>failedFuture(new ValidationException("index '" + d.name()
                            + "' of store '" + table + "' is declared " + describe(d.unique(), d.sorted())
                            + " here, but the store's catalog has it " + describe(s.unique(), s.sorted())
                            + ": an index's definition cannot change under the same name; declare the new one under "
                            + "another name"));
                }
            }
            if (!changed) {
                return emptyCheck(view(found.version(), merged));
            }
            return write(found.version(), merged).handle((version, e) -> {
                if (e == null) {
                    return emptyCheck(view(version, merged));
                }
                Throwable cause = Futures.unwrap(e);
                if (cause instanceof ConditionFailedException && attempt < MAX_ATTEMPTS) {
                    // Another storage registered at the same time: merge with what it wrote.
                    return register(attempt + 1);
                }
                if (cause instanceof ConditionFailedException) {
                    return CompletableFuture.<View>failedFuture(new UnavailableException("could not register the "
                            + "indexes of store '" + table + "': its catalog kept changing under " + attempt
                            + " attempts; try again", cause));
                }
                return CompletableFuture.<View>failedFuture(cause);
            }).thenCompose(x -> x);
        }
    }

    /**
     * A store with no item (only reserved items, if any) has every index complete: marks the
     * building ones ready. Reads each segment only until its first item, so it costs one page per
     * segment on a new store and about one on a store with items.
     */
    private CompletableFuture<View> emptyCheck(View view) {
        List<String> building = new ArrayList<>();
        view.indexes().forEach((name, s) -> {
            if (s.state() != IndexStatus.State.READY && declared.containsKey(name)) {
                building.add(name);
            }
        });
        if (building.isEmpty() || !storage.spi().capabilities().has(dev.polystore.Capability.SCAN)) {
            return CompletableFuture.completedFuture(view);
        }
        return storage.call(table, () -> storage.spi().scanSegments(table, 1))
                .thenCompose(plan -> segmentEmpty(plan.positions().get(0), 0, 0))
                .thenCompose(isEmpty -> isEmpty ? markReady(building, 1) : CompletableFuture.completedFuture(view));
    }

    /**
     * Pages holding only index entries read, at most, before giving up on proving a segment empty
     * (then build() decides).
     */
    private static final int EMPTY_CHECK_PAGES = 20;
    /**
     * Empty pages read, at most: an engine whose scan walks a key space shared with other stores
     * (Redis {@code SCAN}) may answer pages with no item and a position to go on from.
     */
    private static final int EMPTY_CHECK_EMPTY_PAGES = 10_000;

    private CompletableFuture<Boolean> segmentEmpty(String position, int pagesWithEntries, int emptyPages) {
        return storage.call(table, () -> storage.spi().scan(table, position, 100)).thenCompose(found -> {
            for (RawItem item : found.items()) {
                if (!IndexEntries.reserved(item.key().pk())) {
                    return CompletableFuture.completedFuture(false);
                }
            }
            if (found.next() == null) {
                return CompletableFuture.completedFuture(true);
            }
            int withEntries = pagesWithEntries + (found.items().isEmpty() ? 0 : 1);
            int empty = emptyPages + (found.items().isEmpty() ? 1 : 0);
            return withEntries >= EMPTY_CHECK_PAGES || empty >= EMPTY_CHECK_EMPTY_PAGES
                    ? CompletableFuture.completedFuture(false)
                    : segmentEmpty(found.next(), withEntries, empty);
        });
    }

    private static String describe(boolean unique, boolean sorted) {
        return (unique ? "unique" : "non-unique") + (sorted ? " with a sort key" : " without sort key");
    }

    private record Found(long version, Map<String, State> indexes) {
    }

    private CompletableFuture<Found> read() {
        return storage.call(table, () -> storage.spi().get(table, IndexEntries.CATALOG_KEY)).thenApply(found -> {
            if (found.isEmpty()) {
                return new Found(0, Map.of());
            }
            return new Found(found.get().version(), parse(found.get().payload()));
        });
    }

    private CompletableFuture<Long> write(long version, Map<String, State> indexes) {
        Condition condition = version == 0 ? Condition.ifAbsent() : Condition.ifVersion(version);
        WriteOp.Put put = new WriteOp.Put(table, IndexEntries.CATALOG_KEY, render(indexes), null, condition);
        return storage.call(table, () -> storage.spi().put(put));
    }

    private Map<String, State> parse(byte[] payload) {
        try {
            JsonNode root = JSON.readTree(payload);
            if (root.path("format").asInt() != 1) {
                throw new StoreException("the index catalog of store '" + table + "' has format "
                        + root.path("format") + ", which this version of Polystore does not know: upgrade");
            }
            Map<String, State> indexes = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.path("indexes").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode n = e.getValue();
                List<String> retired = new ArrayList<>();
                n.path("retired").forEach(r -> retired.add(r.asText()));
                indexes.put(e.getKey(), new State(n.path("unique").asBoolean(), n.path("sorted").asBoolean(),
                        IndexStatus.State.valueOf(n.path("state").asText()), n.path("entries").asText(ITEMS), retired));
            }
            return indexes;
        } catch (IOException | IllegalArgumentException e) {
            throw new StoreException("the index catalog of store '" + table + "' (item " + IndexEntries.CATALOG_KEY
                    + ") cannot be read: " + e, e);
        }
    }

    private static byte[] render(Map<String, State> indexes) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", 1);
        ObjectNode all = root.putObject("indexes");
        indexes.forEach((name, s) -> {
            ObjectNode n = all.putObject(name).put("unique", s.unique()).put("sorted", s.sorted())
                    .put("state", s.state().name());
            if (!s.entries().equals(ITEMS) || !s.retired().isEmpty()) {
                n.put("entries", s.entries());
                s.retired().forEach(n.putArray("retired")::add);
            }
        });
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
