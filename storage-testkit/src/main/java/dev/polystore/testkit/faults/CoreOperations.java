package dev.polystore.testkit.faults;

import static dev.polystore.testkit.faults.SweepOperations.await;

import dev.polystore.BatchWriteException;
import dev.polystore.Capability;
import dev.polystore.Condition;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Page;
import dev.polystore.Query;
import dev.polystore.Store;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** The core operations of the sweep: single and conditional writes, reads, queries, batches, a transaction, close. */
public final class CoreOperations {
    private static final int BATCH_ITEMS = 30;
    private static final int QUERY_ITEMS = 23;

    private CoreOperations() {
    }

    public static List<SweepOperation> all() {
        return List.of(put(), putIfVersion(), putIfAbsent(), delete(), deleteIfVersion(), get(), pagedQuery(),
                batchPut(), batchGet(), batchDelete(), transaction(), close());
    }

    /** {@code value@v<version>}, or {@code absent}. */
    static String show(Optional<Item<String>> item) {
        return item.map(i -> i.value() + "@v" + i.version()).orElse("absent");
    }

    static String read(SweepCase c, Store<String> store, String pk, String sk) {
        return show(await(store.get(pk, sk)));
    }

    /** A write to one item {@code k}: its observation is that item. */
    private abstract static class SingleItem extends SweepOperation {
        SingleItem(String name) {
            super(name);
        }

        @Override
        protected Map<String, Object> observe(SweepCase c) {
            return Map.of("item", read(c, c.core(), c.pk("single"), "k"));
        }
    }

    /** The observation after a put that returned {@code result}. */
    private static Map<String, Object> written(Object result) {
        @SuppressWarnings("unchecked")
        Item<String> item = (Item<String>) result;
        return Map.of("item", item.value() + "@v" + item.version());
    }

    static SweepOperation put() {
        return new SingleItem("put") {
            @Override
            protected void setUp(SweepCase c) {
                await(c.core().put(Item.of(c.pk("single"), "k", "v1")));
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return c.core().put(Item.of(c.pk("single"), "k", "v2"));
            }

            @Override
            protected Map<String, Object> afterSuccess(SweepCase c, Object result, Reference reference) {
                return written(result);
            }

            @Override
            protected Object normalize(SweepCase c, Object result) {
                // An unconditional put that an engine applied twice has a higher version; both are right.
                return ((Item<?>) result).value();
            }
        };
    }

    static SweepOperation putIfVersion() {
        return new SingleItem("put if version") {
            @Override
            protected void setUp(SweepCase c) {
                await(c.core().put(Item.of(c.pk("single"), "k", "v1")));
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return c.core().put(Item.of(c.pk("single"), "k", "v2"), Condition.ifVersion(1));
            }

            @Override
            protected Map<String, Object> afterSuccess(SweepCase c, Object result, Reference reference) {
                return written(result);
            }

            @Override
            protected Object normalize(SweepCase c, Object result) {
                Item<?> item = (Item<?>) result;
                return item.value() + "@v" + item.version();
            }
        };
    }

    static SweepOperation putIfAbsent() {
        return new SingleItem("put if absent") {
            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return c.core().putIfAbsent(Item.of(c.pk("single"), "k", "v1"));
            }

            @Override
            protected Map<String, Object> afterSuccess(SweepCase c, Object result, Reference reference) {
                return written(result);
            }

            @Override
            protected Object normalize(SweepCase c, Object result) {
                Item<?> item = (Item<?>) result;
                return item.value() + "@v" + item.version();
            }
        };
    }

    static SweepOperation delete() {
        return new SingleItem("delete") {
            @Override
            protected void setUp(SweepCase c) {
                await(c.core().put(Item.of(c.pk("single"), "k", "v1")));
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return c.core().delete(c.pk("single"), "k");
            }
        };
    }

    static SweepOperation deleteIfVersion() {
        return new SingleItem("delete if version") {
            @Override
            protected void setUp(SweepCase c) {
                await(c.core().put(Item.of(c.pk("single"), "k", "v1")));
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return c.core().delete(c.pk("single"), "k", Condition.ifVersion(1));
            }
        };
    }

    static SweepOperation get() {
        return new SingleItem("get") {
            @Override
            protected void setUp(SweepCase c) {
                await(c.core().put(Item.of(c.pk("single"), "k", "v1")));
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return c.core().get(c.pk("single"), "k");
            }

            @Override
            protected boolean writes() {
                return false;
            }

            @Override
            @SuppressWarnings("unchecked")
            protected Object normalize(SweepCase c, Object result) {
                return show((Optional<Item<String>>) result);
            }
        };
    }

    /** Every item of a partition as {@code sk=value@v<version>}, in order. */
    static List<String> partition(SweepCase c, Store<String> store, String pk) {
        return await(store.query(pk, "")).stream().map(i -> i.sk() + "=" + i.value() + "@v" + i.version()).toList();
    }

    static SweepOperation pagedQuery() {
        return new SweepOperation("paged query") {
            @Override
            protected void setUp(SweepCase c) {
                for (int i = 0; i < QUERY_ITEMS; i++) {
                    await(c.core().put(Item.of(c.pk("paged"), String.format("k%02d", i), "v" + i)));
                }
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return pages(c, Query.partition(c.pk("paged")).limit(5), new ArrayList<>());
            }

            private CompletableFuture<List<String>> pages(SweepCase c, Query q, List<String> into) {
                return c.core().query(q).thenCompose((Page<String> page) -> {
                    page.items().forEach(i -> into.add(i.sk() + "=" + i.value() + "@v" + i.version()));
                    return page.cursor().isPresent() ? pages(c, q.after(page.cursor().get()), into)
                            : CompletableFuture.completedFuture(into);
                });
            }

            @Override
            protected Map<String, Object> observe(SweepCase c) {
                return Map.of("partition", partition(c, c.core(), c.pk("paged")));
            }

            @Override
            protected boolean writes() {
                return false;
            }
        };
    }

    private static List<Item<String>> batchItems(SweepCase c, String value) {
        List<Item<String>> items = new ArrayList<>();
        for (int i = 0; i < BATCH_ITEMS; i++) {
            items.add(Item.of(c.pk("batch"), String.format("k%02d", i), value));
        }
        return items;
    }

    private static List<Key> batchKeys(SweepCase c) {
        return batchItems(c, "x").stream().map(Item::key).toList();
    }

    /** A batch's observation: each of its keys, as a part of its own (a batch is not atomic). */
    private abstract static class Batch extends SweepOperation {
        Batch(String name) {
            super(name, Capability.BATCH);
        }

        @Override
        protected Map<String, Object> observe(SweepCase c) {
            Map<String, Object> parts = new TreeMap<>();
            for (Key k : batchKeys(c)) {
                parts.put(k.sk(), "absent");
            }
            for (Item<String> i : await(c.core().query(c.pk("batch"), ""))) {
                parts.put(i.sk(), i.value() + "@v" + i.version());
            }
            return parts;
        }

        /**
         * A {@link BatchWriteException}: keys listed as not written ({@code unprocessed()}) are as
         * before, keys listed in doubt ({@code inDoubt()}) either, every other key as after.
         */
        @Override
        protected boolean verifyOtherFailure(SweepCase c, Throwable error, Map<String, Object> before,
                                             Reference reference, List<String> problems) {
            if (!(error instanceof BatchWriteException bwe)) {
                return false;
            }
            Set<String> notWritten = new TreeSet<>();
            bwe.unprocessed().forEach(k -> notWritten.add(k.sk()));
            Set<String> inDoubt = new TreeSet<>();
            bwe.inDoubt().forEach(k -> inDoubt.add(k.sk()));
            Map<String, Object> seen = observe(c);
            for (String part : seen.keySet()) {
                Object now = seen.get(part);
                Object was = before.get(part);
                Object after = reference.after().get(part);
                if (inDoubt.contains(part)) {
                    if (!Objects.equals(now, was) && !Objects.equals(now, after)) {
                        problems.add("key " + part + " is listed in doubt, but is neither as before nor as after: " + now);
                    }
                } else if (notWritten.contains(part)) {
                    if (!Objects.equals(now, was)) {
                        problems.add("BatchWriteException lists key " + part + " as not written, but it was: "
                                + was + " became " + now + (hasUnknownCause(bwe) ? " (a chunk's outcome was unknown: "
                                + "such keys are in doubt, not unwritten)" : ""));
                    }
                } else if (!Objects.equals(now, after)) {
                    problems.add("BatchWriteException does not list key " + part + ", so it was written, but it holds "
                            + now + " instead of " + after);
                }
            }
            return true;
        }
    }

    private static boolean hasUnknownCause(Throwable e) {
        if (e.getCause() instanceof OutcomeUnknownException) {
            return true;
        }
        for (Throwable s : e.getSuppressed()) {
            if (s instanceof OutcomeUnknownException) {
                return true;
            }
        }
        return false;
    }

    static SweepOperation batchPut() {
        return new Batch("batch put") {
            @Override
            protected void setUp(SweepCase c) {
                for (Item<String> item : batchItems(c, "old").subList(0, 3)) {
                    await(c.core().put(item));
                }
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return c.core().batchPut(batchItems(c, "new"));
            }
        };
    }

    static SweepOperation batchDelete() {
        return new Batch("batch delete") {
            @Override
            protected void setUp(SweepCase c) {
                for (Item<String> item : batchItems(c, "old")) {
                    await(c.core().put(item));
                }
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return c.core().batchDelete(batchKeys(c));
            }
        };
    }

    static SweepOperation batchGet() {
        return new Batch("batch get") {
            @Override
            protected void setUp(SweepCase c) {
                for (Item<String> item : batchItems(c, "old").subList(0, 20)) {
                    await(c.core().put(item));
                }
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return c.core().batchGet(batchKeys(c));
            }

            @Override
            protected boolean writes() {
                return false;
            }

            @Override
            @SuppressWarnings("unchecked")
            protected Object normalize(SweepCase c, Object result) {
                Map<String, String> found = new TreeMap<>();
                ((Map<Key, Item<String>>) result).forEach((k, i) -> found.put(k.sk(), i.value() + "@v" + i.version()));
                return found;
            }
        };
    }

    static SweepOperation transaction() {
        return new SweepOperation("transaction", Capability.TRANSACTIONS) {
            @Override
            protected void setUp(SweepCase c) {
                await(c.core().put(Item.of(c.pk("tx"), "a", "v1")));
                await(c.other().put(Item.of(c.pk("tx"), "c", "v1")));
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return c.storage().transaction()
                        .put(c.core(), Item.of(c.pk("tx"), "a", "v2"), Condition.ifVersion(1))
                        .put(c.core(), Item.of(c.pk("tx"), "b", "new"), Condition.ifAbsent())
                        .delete(c.other(), Key.of(c.pk("tx"), "c"), Condition.ifExists())
                        .put(c.other(), Item.of(c.pk("tx"), "d", "new"))
                        .commit();
            }

            @Override
            protected Map<String, Object> observe(SweepCase c) {
                // One part: a transaction is all or nothing, so even "outcome unknown" must not show half of it.
                Map<String, Object> all = new LinkedHashMap<>();
                all.put("a", read(c, c.core(), c.pk("tx"), "a"));
                all.put("b", read(c, c.core(), c.pk("tx"), "b"));
                all.put("c", read(c, c.other(), c.pk("tx"), "c"));
                all.put("d", read(c, c.other(), c.pk("tx"), "d"));
                return Map.of("items", all);
            }
        };
    }

    /** What a close left: how each operation in flight ended, whether close() threw, and what was still pending. */
    record Closed(List<SweepOperation.Outcome> inFlight, Throwable closeError, int pendingAtReturn) {
    }

    /**
     * Three puts in flight, then {@code close()}. Invariants: close never throws and returns with
     * every operation complete, each with a typed outcome; an operation after close fails with
     * {@link UnavailableException}; on a persistent backend, the reopened storage holds every
     * acknowledged put, none reported as not written, and the witness.
     */
    static SweepOperation close() {
        return new SweepOperation("close") {
            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                List<CompletableFuture<Item<String>>> puts = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    puts.add(c.core().put(Item.of(c.pk("close"), "k" + i, "v")));
                }
                Throwable closeError = null;
                try {
                    c.storage().close();
                } catch (Throwable t) {
                    closeError = t;
                }
                int pending = (int) puts.stream().filter(f -> !f.isDone()).count();
                List<Outcome> outcomes = new ArrayList<>();
                for (CompletableFuture<Item<String>> f : puts) {
                    outcomes.add(outcome(f));
                }
                return CompletableFuture.completedFuture(new Closed(outcomes, closeError, pending));
            }

            @Override
            protected boolean closesStorage() {
                return true;
            }

            @Override
            protected Map<String, Object> observe(SweepCase c) {
                return Map.of();
            }

            @Override
            protected void verify(SweepCase c, Outcome outcome, Map<String, Object> before, Reference reference,
                                  List<String> problems) {
                if (!outcome.succeeded()) {
                    problems.add("the close scenario itself failed: " + outcome.error());
                    return;
                }
                Closed closed = (Closed) outcome.value();
                if (closed.closeError() != null) {
                    problems.add("close() threw " + closed.closeError() + "; it must finish or fail every pending "
                            + "operation and never throw");
                }
                if (closed.pendingAtReturn() > 0) {
                    problems.add("close() returned with " + closed.pendingAtReturn() + " operations still pending");
                }
                for (Outcome o : closed.inFlight()) {
                    if (o.error() != null && !(o.error() instanceof UnavailableException)
                            && !(o.error() instanceof OutcomeUnknownException)) {
                        problems.add("an operation in flight at close ended with " + o.error()
                                + ", neither \"not written\" nor \"outcome unknown\"");
                    }
                }
                Outcome after = outcome(c.core().put(Item.of(c.pk("close"), "late", "v")));
                if (!(after.error() instanceof UnavailableException)) {
                    problems.add("a put after close must fail with UnavailableException, got " + after.kind()
                            + (after.error() == null ? "" : ": " + after.error()));
                }
                if (!c.persistent()) {
                    return;
                }
                c.reopen();
                for (int i = 0; i < closed.inFlight().size(); i++) {
                    Outcome o = closed.inFlight().get(i);
                    String now = read(c, c.core(), c.pk("close"), "k" + i);
                    if (o.succeeded() && now.equals("absent")) {
                        problems.add("put k" + i + " was acknowledged before close, and is lost after reopening");
                    } else if (o.error() instanceof UnavailableException && !now.equals("absent")) {
                        problems.add("put k" + i + " was reported as not written (" + o.error() + "), but the reopened "
                                + "storage holds it");
                    }
                }
                String witness = read(c, c.core(), c.pk("witness"), "w");
                if (!witness.equals("acknowledged@v1")) {
                    problems.add("the witness written before the case is lost after reopening: " + witness);
                }
            }
        };
    }

    /** How a future ended, waiting at most the harness's hang guard. */
    static SweepOperation.Outcome outcome(CompletableFuture<?> f) {
        try {
            return new SweepOperation.Outcome(f.get(SweepOperations.HANG_GUARD.toMillis(), TimeUnit.MILLISECONDS), null);
        } catch (java.util.concurrent.ExecutionException e) {
            return new SweepOperation.Outcome(null, SweepOperations.unwrap(e));
        } catch (TimeoutException e) {
            return new SweepOperation.Outcome(null, new StoreException("hung: no outcome within "
                    + SweepOperations.HANG_GUARD));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new SweepOperation.Outcome(null, e);
        }
    }
}
