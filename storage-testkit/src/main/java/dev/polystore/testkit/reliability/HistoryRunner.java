package dev.polystore.testkit.reliability;

import dev.polystore.Capabilities;
import dev.polystore.Capability;
import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Page;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.StoreFactory;
import dev.polystore.Store;
import dev.polystore.Transaction;
import dev.polystore.testkit.MutableClock;
import dev.polystore.memory.MemoryBackend;
import dev.polystore.testkit.reliability.HistoryOp.Cond;
import dev.polystore.testkit.reliability.HistoryOp.KeyRef;
import dev.polystore.testkit.reliability.HistoryOp.Range;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Runs random histories against the backend under test and the in-memory reference model side
 * by side, compares every result, and shrinks a failing history to a short one.
 *
 * <p>Both sides share one {@link MutableClock}, so expiry is decided at the same instants.
 * The model is a fresh {@link MemoryBackend} per run, declaring the backend's own capabilities.
 * Each run on the backend uses a fresh key namespace, so runs (and replays) never see each
 * other's items.
 */
final class HistoryRunner {
    /** A mismatch: the step (index into the history, or its length for the final scan), the operation and both results. */
    record Mismatch(int step, String operation, String expected, String actual) {
        String describe() {
            return "step " + (step + 1) + ": " + operation + "\n      model (memory): " + expected + "\n      backend:        "
                    + actual;
        }
    }

    /** A generated history, and its first mismatch (null if none). */
    record Run(List<HistoryOp> ops, Mismatch mismatch) {
    }

    private final Storage storage;
    private final MutableClock clock;
    private final Capabilities capabilities;
    private final String namespace;
    private final Map<String, Integer> counts = new TreeMap<>();
    private int runs;
    private int operations;

    HistoryRunner(Storage storage, MutableClock clock, String namespace) {
        this.storage = storage;
        this.clock = clock;
        this.capabilities = storage.capabilities();
        this.namespace = namespace;
    }

    /** Operations executed so far, by kind (on the backend; the model executed the same). */
    Map<String, Integer> counts() {
        return counts;
    }

    /** Operations executed so far on the backend, replays included. */
    int operations() {
        return operations;
    }

    /** Histories and replays run so far. */
    int runs() {
        return runs;
    }

    // ------------------------------------------------------------------ sides

    /** One storage with the histories' two stores and materialised partition keys. */
    private static final class Side implements AutoCloseable {
        final Storage storage;
        final List<Store<String>> stores = new ArrayList<>();
        final List<String> pks;
        final boolean owned;

        Side(Storage storage, String ns, boolean owned) {
            this.storage = storage;
            this.owned = owned;
            for (String name : HistoryOp.STORES) {
                stores.add(storage.store(name, Codec.utf8()));
            }
            this.pks = KeySpace.partitions(ns);
        }

        Key key(KeyRef k) {
            return Key.of(pks.get(k.partition()), KeySpace.SORT_KEYS.get(k.sortKey()).value());
        }

        Store<String> store(KeyRef k) {
            return stores.get(k.store());
        }

        String pkLabel(String pk) {
            int i = pks.indexOf(pk);
            return i >= 0 ? KeySpace.PARTITION_LABELS.get(i) : Outcomes.quote(pk);
        }

        String render(Item<String> item) {
            return "[" + pkLabel(item.pk()) + ", " + KeySpace.skLabel(item.sk()) + "] v" + item.version() + " "
                    + Outcomes.quote(item.value()) + item.expiresAt().map(at -> " expires " + at.getEpochSecond()).orElse("");
        }

        String render(List<Item<String>> items) {
            List<String> shown = new ArrayList<>(items.size());
            items.forEach(i -> shown.add(render(i)));
            return shown.toString();
        }

        @Override
        public void close() {
            if (owned) {
                storage.close();
            }
        }
    }

    /** A fresh namespace for one run: the backend side and the model side use the same keys. */
    private String freshNamespace() {
        return namespace + "h" + (runs++) + "/";
    }

    private Side backendSide(String ns) {
        return new Side(storage, ns, false);
    }

    private Side modelSide(String ns) {
        return new Side(StoreFactory.open(new MemoryBackend(clock, capabilities.supported()), clock), ns, true);
    }

    // ------------------------------------------------------------------ running

    /** Generates and runs a history of {@code length} operations from {@code seed}, stopping at the first mismatch. */
    Run generate(long seed, int length) {
        Random random = new Random(seed);
        List<HistoryOp> ops = new ArrayList<>();
        String ns = freshNamespace();
        try (Side backend = backendSide(ns); Side model = modelSide(ns)) {
            for (int i = 0; i < length; i++) {
                HistoryOp op = next(random, model, i);
                ops.add(op);
                Mismatch m = step(op, i, backend, model);
                if (m != null) {
                    return new Run(ops, m);
                }
            }
            return new Run(ops, step(new HistoryOp.Scan(), length, backend, model));
        }
    }

    /** Replays {@code ops} on fresh sides; the first mismatch, or null. */
    Mismatch replay(List<HistoryOp> ops) {
        String ns = freshNamespace();
        try (Side backend = backendSide(ns); Side model = modelSide(ns)) {
            for (int i = 0; i < ops.size(); i++) {
                Mismatch m = step(ops.get(i), i, backend, model);
                if (m != null) {
                    return m;
                }
            }
            return step(new HistoryOp.Scan(), ops.size(), backend, model);
        }
    }

    /**
     * Shrinks a failing history: cuts it after the failing step, then removes ever smaller
     * chunks of operations, keeping each removal after which some step still mismatches, then
     * leaves out single elements of batches and transactions the same way. Stops after
     * {@code budget} replays.
     */
    List<HistoryOp> shrink(List<HistoryOp> ops, Mismatch first, int budget) {
        List<HistoryOp> current = new ArrayList<>(ops.subList(0, Math.min(ops.size(), first.step() + 1)));
        int replays = 0;
        for (int chunk = Math.max(1, current.size() / 2); chunk >= 1 && replays < budget; chunk /= 2) {
            boolean removedAny = true;
            while (removedAny && replays < budget) {
                removedAny = false;
                for (int start = 0; start < current.size() && replays < budget; ) {
                    List<HistoryOp> candidate = new ArrayList<>(current.subList(0, start));
                    candidate.addAll(current.subList(Math.min(current.size(), start + chunk), current.size()));
                    if (candidate.isEmpty()) {
                        start += chunk;
                        continue;
                    }
                    replays++;
                    Mismatch m = replay(candidate);
                    if (m != null) {
                        current = new ArrayList<>(candidate.subList(0, Math.min(candidate.size(), m.step() + 1)));
                        removedAny = true;
                    } else {
                        start += chunk;
                    }
                }
            }
            if (chunk == 1) {
                break;
            }
        }
        // Then make batches and transactions smaller, one element at a time.
        for (int i = 0; i < current.size() && replays < budget; i++) {
            boolean smaller = true;
            while (smaller && replays < budget) {
                smaller = false;
                for (HistoryOp variant : withOneElementLess(current.get(i))) {
                    if (replays >= budget) {
                        break;
                    }
                    List<HistoryOp> candidate = new ArrayList<>(current);
                    candidate.set(i, variant);
                    replays++;
                    Mismatch m = replay(candidate);
                    if (m != null) {
                        current = new ArrayList<>(candidate.subList(0, Math.min(candidate.size(), m.step() + 1)));
                        smaller = true;
                        break;
                    }
                }
            }
        }
        return current;
    }

    /** The batch or transaction {@code op} with each one of its elements left out; nothing for other operations. */
    private static List<HistoryOp> withOneElementLess(HistoryOp op) {
        List<HistoryOp> variants = new ArrayList<>();
        if (op instanceof HistoryOp.BatchPut b && b.keys().size() > 1) {
            for (int j = 0; j < b.keys().size(); j++) {
                variants.add(new HistoryOp.BatchPut(b.store(), without(b.keys(), j), without(b.values(), j)));
            }
        } else if (op instanceof HistoryOp.BatchGet b && b.keys().size() > 1) {
            for (int j = 0; j < b.keys().size(); j++) {
                variants.add(new HistoryOp.BatchGet(b.store(), without(b.keys(), j)));
            }
        } else if (op instanceof HistoryOp.BatchDelete b && b.keys().size() > 1) {
            for (int j = 0; j < b.keys().size(); j++) {
                variants.add(new HistoryOp.BatchDelete(b.store(), without(b.keys(), j)));
            }
        } else if (op instanceof HistoryOp.Tx t && t.parts().size() > 1) {
            for (int j = 0; j < t.parts().size(); j++) {
                variants.add(new HistoryOp.Tx(without(t.parts(), j)));
            }
        }
        return variants;
    }

    private static <T> List<T> without(List<T> list, int index) {
        List<T> copy = new ArrayList<>(list);
        copy.remove(index);
        return List.copyOf(copy);
    }

    private Mismatch step(HistoryOp op, int index, Side backend, Side model) {
        operations++;
        counts.merge(op.kind(), 1, Integer::sum);
        if (op instanceof HistoryOp.Advance a) {
            clock.advance(Duration.ofSeconds(a.seconds()));
            return null;
        }
        // Expiry instants are fixed once, so both sides write the same one.
        Instant now = clock.instant();
        String expected = execute(op, model, now);
        String actual = execute(op, backend, now);
        return expected.equals(actual) ? null : new Mismatch(index, op.describe(), expected, actual);
    }

    // ------------------------------------------------------------------ executing

    private static String execute(HistoryOp op, Side side, Instant now) {
        if (op instanceof HistoryOp.Put p) {
            Item<String> item = Item.of(side.key(p.key()), p.value());
            if (p.expirySeconds() > 0) {
                item = item.withExpiry(now.plusSeconds(p.expirySeconds()));
            }
            Item<String> toWrite = item;
            return Outcomes.of(() -> side.store(p.key()).put(toWrite, p.cond().toCondition()), side::render);
        } else if (op instanceof HistoryOp.Delete d) {
            Key key = side.key(d.key());
            return Outcomes.of(() -> side.store(d.key()).delete(key.pk(), key.sk(), d.cond().toCondition()),
                    found -> "deleted " + found);
        } else if (op instanceof HistoryOp.Get g) {
            Key key = side.key(g.key());
            return Outcomes.of(() -> side.store(g.key()).get(key.pk(), key.sk()),
                    found -> found.map(side::render).orElse("absent"));
        } else if (op instanceof HistoryOp.QueryPages q) {
            return pages(q, side);
        } else if (op instanceof HistoryOp.QueryAll q) {
            return Outcomes.of(() -> side.stores.get(q.store()).query(side.pks.get(q.partition()),
                    KeySpace.PREFIXES.get(q.prefix()).value()), side::render);
        } else if (op instanceof HistoryOp.BatchPut b) {
            List<Item<String>> items = new ArrayList<>();
            for (int i = 0; i < b.keys().size(); i++) {
                items.add(Item.of(side.key(b.keys().get(i)), b.values().get(i)));
            }
            return Outcomes.of(() -> side.stores.get(b.store()).batchPut(items), v -> "ok");
        } else if (op instanceof HistoryOp.BatchGet b) {
            List<Key> keys = new ArrayList<>();
            b.keys().forEach(k -> keys.add(side.key(k)));
            return Outcomes.of(() -> side.stores.get(b.store()).batchGet(keys), found -> {
                TreeMap<String, String> sorted = new TreeMap<>();
                found.forEach((k, item) -> sorted.put(side.pkLabel(k.pk()) + " " + KeySpace.skLabel(k.sk()),
                        (k.equals(item.key()) ? "" : "under a wrong key: ") + side.render(item)));
                return sorted.values().toString();
            });
        } else if (op instanceof HistoryOp.BatchDelete b) {
            List<Key> keys = new ArrayList<>();
            b.keys().forEach(k -> keys.add(side.key(k)));
            return Outcomes.of(() -> side.stores.get(b.store()).batchDelete(keys), v -> "ok");
        } else if (op instanceof HistoryOp.Tx t) {
            return Outcomes.of(() -> {
                Transaction tx = side.storage.transaction();
                for (HistoryOp.TxPart part : t.parts()) {
                    Store<String> store = side.store(part.key());
                    Key key = side.key(part.key());
                    switch (part.action()) {
                        case "put":
                            tx.put(store, Item.of(key, part.value()), part.cond().toCondition());
                            break;
                        case "delete":
                            tx.delete(store, key, part.cond().toCondition());
                            break;
                        default:
                            tx.check(store, key, part.cond().toCondition());
                    }
                }
                return tx.commit();
            }, versions -> "versions " + versions);
        } else if (op instanceof HistoryOp.Scan) {
            StringBuilder b = new StringBuilder();
            for (int s = 0; s < side.stores.size(); s++) {
                for (int p = 0; p < side.pks.size(); p++) {
                    Store<String> store = side.stores.get(s);
                    String pk = side.pks.get(p);
                    b.append(HistoryOp.STORES.get(s)).append("[").append(KeySpace.PARTITION_LABELS.get(p)).append("]=")
                            .append(Outcomes.of(() -> store.query(pk, ""), side::render)).append(" ");
                }
            }
            return b.toString().trim();
        }
        throw new IllegalArgumentException("unknown operation " + op);
    }

    /** Reads a query to its end; checks the page rules on the way; returns the concatenation of the pages. */
    private static String pages(HistoryOp.QueryPages q, Side side) {
        Store<String> store = side.stores.get(q.store());
        Query base = Query.partition(side.pks.get(q.partition())).range(q.range().toKeyRange()).limit(q.limit());
        if (q.descending()) {
            base = base.descending();
        }
        if (q.forEach()) {
            List<Item<String>> seen = java.util.Collections.synchronizedList(new ArrayList<>());
            Query query = base;
            return Outcomes.of(() -> store.forEach(query, seen::add), n -> {
                synchronized (seen) {
                    return "items " + side.render(seen) + (n == seen.size() ? "" : " but forEach counted " + n);
                }
            });
        }
        List<Item<String>> all = new ArrayList<>();
        Query next = base;
        for (int pages = 1; ; pages++) {
            if (pages > 10_000) {
                return "rule broken: more than 10,000 pages (cursors do not advance)";
            }
            Query current = next;
            Page<String>[] holder = newPageHolder();
            String failure = Outcomes.of(() -> store.query(current), page -> {
                holder[0] = page;
                return "";
            });
            if (holder[0] == null) {
                return failure + (pages > 1 ? " (after " + side.render(all) + ")" : "");
            }
            Page<String> page = holder[0];
            if (page.items().size() > q.limit()) {
                return "rule broken: a page held " + page.items().size() + " items, over the limit " + q.limit();
            }
            all.addAll(page.items());
            if (page.cursor().isEmpty()) {
                return "items " + side.render(all);
            }
            if (page.items().isEmpty()) {
                return "rule broken: an empty page with a cursor";
            }
            next = base.after(page.cursor().get());
        }
    }

    @SuppressWarnings("unchecked")
    private static Page<String>[] newPageHolder() {
        return (Page<String>[]) new Page<?>[1];
    }

    // ------------------------------------------------------------------ generating

    private static final String[] VALUE_SUFFIXES = {"", "", "\u00E9", KeySpace.EMOJI, "%_\\", "\u0000nul", "\"q'"};

    /** Which operation kinds this backend gets, with their weights. */
    private List<Map.Entry<String, Integer>> weights() {
        List<Map.Entry<String, Integer>> w = new ArrayList<>();
        w.add(Map.entry("put", 14));
        w.add(Map.entry("conditional put", 16));
        w.add(Map.entry("delete", 6));
        w.add(Map.entry("conditional delete", 7));
        w.add(Map.entry("get", 14));
        w.add(Map.entry("paged query", 12));
        w.add(Map.entry("prefix query", 4));
        w.add(Map.entry("scan", 1));
        if (capabilities.has(Capability.BATCH)) {
            w.add(Map.entry("batch put", 4));
            w.add(Map.entry("batch get", 4));
            w.add(Map.entry("batch delete", 3));
        }
        if (capabilities.has(Capability.TRANSACTIONS)) {
            w.add(Map.entry("transaction", 9));
        }
        if (capabilities.has(Capability.EXPIRY)) {
            w.add(Map.entry("clock", 3));
        }
        return w;
    }

    /** The optional operation kinds left out because the backend does not declare their capability. */
    List<String> skippedKinds() {
        List<String> skipped = new ArrayList<>();
        if (!capabilities.has(Capability.BATCH)) {
            skipped.add("batch (no BATCH)");
        }
        if (!capabilities.has(Capability.TRANSACTIONS)) {
            skipped.add("transaction (no TRANSACTIONS)");
        }
        if (!capabilities.has(Capability.EXPIRY)) {
            skipped.add("expiry (no EXPIRY)");
        }
        return skipped;
    }

    private HistoryOp next(Random r, Side model, int step) {
        List<Map.Entry<String, Integer>> weights = weights();
        int total = weights.stream().mapToInt(Map.Entry::getValue).sum();
        int pick = r.nextInt(total);
        String kind = null;
        for (Map.Entry<String, Integer> e : weights) {
            pick -= e.getValue();
            if (pick < 0) {
                kind = e.getKey();
                break;
            }
        }
        switch (kind) {
            case "put": {
                int expiry = capabilities.has(Capability.EXPIRY) && r.nextInt(5) == 0 ? 1 + r.nextInt(4) : 0;
                return new HistoryOp.Put(key(r), value(r, step), Cond.NONE, expiry);
            }
            case "conditional put": {
                KeyRef k = key(r);
                int c = r.nextInt(100);
                Cond cond = c < 30 ? Cond.ABSENT : c < 45 ? Cond.EXISTS : versionCondition(r, model, k);
                int expiry = capabilities.has(Capability.EXPIRY) && r.nextInt(8) == 0 ? 1 + r.nextInt(4) : 0;
                return new HistoryOp.Put(k, value(r, step), cond, expiry);
            }
            case "delete":
                return new HistoryOp.Delete(key(r), Cond.NONE);
            case "conditional delete": {
                KeyRef k = key(r);
                return new HistoryOp.Delete(k, r.nextInt(100) < 30 ? Cond.EXISTS : versionCondition(r, model, k));
            }
            case "get":
                return new HistoryOp.Get(key(r));
            case "paged query":
                return new HistoryOp.QueryPages(store(r), partition(r), range(r), new int[] {1, 1, 2, 3, 5, 8, 100}[r.nextInt(7)],
                        r.nextInt(10) < 4, r.nextInt(4) == 0);
            case "prefix query":
                return new HistoryOp.QueryAll(store(r), partition(r), r.nextInt(KeySpace.PREFIXES.size()));
            case "scan":
                return new HistoryOp.Scan();
            case "batch put": {
                int s = store(r);
                List<KeyRef> keys = distinctKeys(r, s, 1 + r.nextInt(6));
                List<String> values = new ArrayList<>();
                keys.forEach(k -> values.add(value(r, step)));
                return new HistoryOp.BatchPut(s, keys, values);
            }
            case "batch get": {
                int s = store(r);
                List<KeyRef> keys = new ArrayList<>();
                int n = 1 + r.nextInt(8);
                for (int i = 0; i < n; i++) {
                    KeyRef k = key(r);
                    keys.add(new KeyRef(s, k.partition(), k.sortKey()));
                }
                return new HistoryOp.BatchGet(s, keys);
            }
            case "batch delete": {
                int s = store(r);
                return new HistoryOp.BatchDelete(s, distinctKeys(r, s, 1 + r.nextInt(5)));
            }
            case "transaction":
                return transaction(r, model, step);
            case "clock":
                return new HistoryOp.Advance(1 + r.nextInt(3));
            default:
                throw new IllegalStateException("unknown kind " + kind);
        }
    }

    private static int store(Random r) {
        return r.nextInt(8) == 0 ? 1 : 0;
    }

    private static int partition(Random r) {
        int p = r.nextInt(100);
        return p < 55 ? 0 : p < 80 ? 1 : 2;
    }

    private static KeyRef key(Random r) {
        int sk = r.nextBoolean() ? r.nextInt(KeySpace.HOT) : r.nextInt(KeySpace.SORT_KEYS.size());
        return new KeyRef(store(r), partition(r), sk);
    }

    /** Distinct keys of one store, with now and then a repeated one (both sides must reject the batch). */
    private static List<KeyRef> distinctKeys(Random r, int store, int n) {
        List<KeyRef> keys = new ArrayList<>();
        Set<KeyRef> seen = new HashSet<>();
        while (keys.size() < n) {
            KeyRef k = key(r);
            KeyRef inStore = new KeyRef(store, k.partition(), k.sortKey());
            if (seen.add(inStore)) {
                keys.add(inStore);
            }
        }
        if (n > 1 && r.nextInt(25) == 0) {
            keys.set(n - 1, keys.get(0));
        }
        return keys;
    }

    private static Range range(Random r) {
        int k = r.nextInt(100);
        if (k < 15) {
            return new Range("all", 0, 0);
        } else if (k < 55) {
            return new Range("prefix", r.nextInt(KeySpace.PREFIXES.size()), 0);
        } else if (k < 80) {
            return new Range("between", r.nextInt(KeySpace.BOUNDS.size()), r.nextInt(KeySpace.BOUNDS.size()));
        } else if (k < 90) {
            return new Range("at least", r.nextInt(KeySpace.BOUNDS.size()), 0);
        }
        return new Range("at most", r.nextInt(KeySpace.BOUNDS.size()), 0);
    }

    private static String value(Random r, int step) {
        if (r.nextInt(40) == 0) {
            return "L".repeat(2000 + r.nextInt(6000)) + step;
        }
        return "v" + step + VALUE_SUFFIXES[r.nextInt(VALUE_SUFFIXES.length)];
    }

    /** Mostly the version the model holds now (so that conditions succeed), sometimes another. */
    private static Cond versionCondition(Random r, Side model, KeyRef k) {
        Optional<Item<String>> current = currentInModel(model, k);
        if (current.isPresent() && r.nextInt(10) < 7) {
            return Cond.version(current.get().version());
        }
        return Cond.version(1 + r.nextInt(3));
    }

    private static Optional<Item<String>> currentInModel(Side model, KeyRef k) {
        Key key = model.key(k);
        CompletableFuture<Optional<Item<String>>> f = model.store(k).get(key.pk(), key.sk());
        return f.join();
    }

    private HistoryOp transaction(Random r, Side model, int step) {
        int n = 1 + r.nextInt(4);
        List<HistoryOp.TxPart> parts = new ArrayList<>();
        Set<KeyRef> seen = new HashSet<>();
        while (parts.size() < n) {
            KeyRef k = key(r);
            if (!seen.add(k)) {
                continue;
            }
            int a = r.nextInt(100);
            if (a < 50) {
                int c = r.nextInt(100);
                Cond cond = c < 40 ? Cond.NONE : c < 60 ? Cond.ABSENT : c < 70 ? Cond.EXISTS : versionCondition(r, model, k);
                parts.add(new HistoryOp.TxPart("put", k, value(r, step), cond));
            } else if (a < 80) {
                int c = r.nextInt(100);
                Cond cond = c < 40 ? Cond.NONE : c < 60 ? Cond.EXISTS : versionCondition(r, model, k);
                parts.add(new HistoryOp.TxPart("delete", k, null, cond));
            } else {
                int c = r.nextInt(100);
                Cond cond = c < 35 ? Cond.ABSENT : c < 60 ? Cond.EXISTS : versionCondition(r, model, k);
                parts.add(new HistoryOp.TxPart("check", k, null, cond));
            }
        }
        if (n > 1 && r.nextInt(25) == 0) {
            HistoryOp.TxPart first = parts.get(0);
            parts.set(n - 1, new HistoryOp.TxPart("check", first.key(), null, Cond.EXISTS));
        }
        return new HistoryOp.Tx(parts);
    }

    static Function<List<HistoryOp>, String> printer() {
        return ops -> {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < ops.size(); i++) {
                b.append(String.format("    %3d. %s%n", i + 1, ops.get(i).describe()));
            }
            return b.toString();
        };
    }
}
