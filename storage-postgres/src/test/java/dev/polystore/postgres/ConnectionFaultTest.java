package dev.polystore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import dev.polystore.UnavailableException;
import dev.polystore.testkit.net.FaultProxy;
import dev.polystore.testkit.net.FaultProxy.Action;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import dev.polystore.testkit.reliability.ReliabilityContract;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Connections cut mid-statement and mid-commit, and a path that stops answering, staged by the
 * testkit's in-process TCP proxy between the pool and the server.
 *
 * <p>Each fault is placed on one chunk of traffic of one operation: upstream {@code CUT_BEFORE}
 * (the request never reaches the server), upstream {@code CUT_AFTER} (it arrives, the connection
 * is then reset) and downstream {@code CUT_BEFORE} of the answer (the server has executed and,
 * for autocommit statements and {@code COMMIT}, committed; the answer is lost). After each, the
 * item is read back on a healed path and the reported outcome is checked against it: success
 * means applied, {@link UnavailableException} means not applied, never a
 * {@link ConditionFailedException} for our own write, and {@link OutcomeUnknownException} may be
 * either. Counted as misreports otherwise; there must be none.
 */
class ConnectionFaultTest {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    static final String DATABASE = "polystore_faults";

    FaultProxy proxy;
    Storage storage;
    Store<String> store;

    @BeforeEach
    void open() {
        Pg.ensure(POSTGRES.server(), DATABASE, "");
        proxy = FaultProxy.start("127.0.0.1", POSTGRES.server().port());
        storage = StoreFactory.open(config(Map.of()));
        store = storage.store("faults", Codec.utf8());
        store.get("warm", "up").join();
    }

    private StorageConfig config(Map<String, Object> extra) {
        StorageConfig.Builder b = Pg.config(POSTGRES.server(), DATABASE)
                .set("postgres.url", "jdbc:postgresql://" + proxy.host() + ":" + proxy.port() + "/" + DATABASE);
        extra.forEach(b::set);
        return b.build();
    }

    @AfterEach
    void close() {
        if (storage != null) {
            storage.close();
        }
        proxy.close();
    }

    /**
     * One staged operation: its setup (run on a healthy path), the operation the fault hits, and
     * how to tell from the data whether it was applied. {@code commitOnly}: the upstream cut hits
     * the chunk carrying {@code COMMIT}, after the operation's own statements went through.
     */
    private record Case(String name, Function<String, CompletableFuture<?>> setup, Function<String, CompletableFuture<?>> run,
                        Function<String, Boolean> applied, boolean commitOnly) {
        Case(String name, Function<String, CompletableFuture<?>> run, Function<String, Boolean> applied) {
            this(name, id -> CompletableFuture.completedFuture(null), run, applied, false);
        }
    }

    @Test
    @DisplayName("cut before, during and after every kind of write: 0 misreported outcomes")
    void cutsGiveTruthfulOutcomes() throws Exception {
        int rounds = 2 * scale();
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> misreports = new ArrayList<>();
        int staged = 0;
        String[] downstreamMarkers = {"INSERT 0 1", "UPDATE 1", "DELETE 1", "COMMIT", "INSERT 0 3"};
        for (int round = 0; round < rounds; round++) {
            for (Case c : cases(round)) {
                for (String fault : List.of("up-cut-before", "up-cut-after", "down-cut-before")) {
                    String id = "r" + round + "-" + c.name + "-" + fault;
                    byte[] marker = id.getBytes(StandardCharsets.UTF_8);
                    proxy.heal();
                    c.setup.apply(id).get(1, TimeUnit.MINUTES);
                    switch (fault) {
                        case "up-cut-before" -> proxy.onUpstream(c.commitOnly ? afterMarker(marker, "COMMIT", Action.CUT_BEFORE)
                                : FaultProxy.onceWhenContains(marker, Action.CUT_BEFORE));
                        case "up-cut-after" -> proxy.onUpstream(c.commitOnly ? afterMarker(marker, "COMMIT", Action.CUT_AFTER)
                                : FaultProxy.onceWhenContains(marker, Action.CUT_AFTER));
                        default -> proxy.onUpstream((conn, chunk) -> {
                            // Arm the downstream cut on the chunk that carries this operation's request.
                            if (indexOf(chunk, marker) >= 0) {
                                proxy.onDownstream(firstAnswer(downstreamMarkers));
                            }
                            return Action.FORWARD;
                        });
                    }
                    Throwable failure = null;
                    long started = System.nanoTime();
                    try {
                        c.run.apply(id).get(2, TimeUnit.MINUTES);
                    } catch (ExecutionException e) {
                        failure = e.getCause();
                    }
                    proxy.heal();
                    slowest = Math.max(slowest, (System.nanoTime() - started) / 1_000_000);
                    staged++;
                    boolean applied = c.applied.apply(id);
                    String outcome = failure == null ? "success" : failure.getClass().getSimpleName();
                    outcomes.merge(c.name + " " + fault + " " + outcome + (applied ? " applied" : " not applied"), 1,
                            Integer::sum);
                    boolean truthful = failure == null ? applied
                            : failure instanceof OutcomeUnknownException
                            || failure instanceof UnavailableException && !applied
                            || failure instanceof dev.polystore.BatchWriteException bwe && !applied && !bwe.unprocessed().isEmpty();
                    if (!truthful) {
                        misreports.add(id + ": reported " + outcome + " (" + failure + ") but applied=" + applied);
                    }
                }
            }
        }
        long resolved = outcomes.entrySet().stream().filter(e -> e.getKey().contains("success")).mapToLong(Map.Entry::getValue).sum();
        System.out.println("[reliability] postgres | 8 connections cut | staged=" + staged + " resolved as success="
                + resolved + " slowest operation=" + slowest + "ms outcomes=" + outcomes + " misreports=" + misreports.size());
        assertEquals(List.of(), misreports);
        assertTrue(outcomes.keySet().stream().anyMatch(k -> k.contains("down-cut-before success applied")),
                "an answer lost after the commit was never resolved as applied: " + outcomes);
    }

    private long slowest;

    private List<Case> cases(int round) {
        String pk = "cuts-" + round;
        Store<String> s = store;
        return List.of(
                new Case("put", id -> s.put(Item.of(pk, id, id)), id -> read(pk, id).isPresent()),
                new Case("put-if-absent", id -> s.putIfAbsent(Item.of(pk, id, id)), id -> read(pk, id).isPresent()),
                new Case("put-if-version", id -> s.put(Item.of(pk, id + "/base", "base")),
                        id -> s.put(Item.of(pk, id + "/base", id), Condition.ifVersion(1)),
                        id -> read(pk, id + "/base").map(i -> i.value().equals(id)).orElse(false), false),
                new Case("delete", id -> s.put(Item.of(pk, id + "/del", "x")),
                        id -> s.delete(pk, id + "/del", Condition.ifExists()), id -> read(pk, id + "/del").isEmpty(), false),
                new Case("transaction", id -> storage.transaction()
                        .put(s, Item.of(pk, id + "/a", id)).put(s, Item.of(pk, id + "/b", id)).commit(),
                        id -> read(pk, id + "/a").isPresent()),
                new Case("transaction-commit", id -> CompletableFuture.completedFuture(null), id -> storage.transaction()
                        .put(s, Item.of(pk, id + "/a", id)).delete(s, Key.of(pk, id + "/none")).commit(),
                        id -> read(pk, id + "/a").isPresent(), true),
                new Case("batch", id -> s.batchPut(List.of(Item.of(pk, id + "/1", id), Item.of(pk, id + "/2", id),
                        Item.of(pk, id + "/3", id))), id -> read(pk, id + "/1").isPresent()),
                // New keys, enough of them for the COPY path: probe, COPY, COMMIT in one transaction.
                new Case("batch-copy", id -> s.batchPut(java.util.stream.IntStream.range(0, PostgresBackend.COPY_MIN_ITEMS + 6)
                        .mapToObj(i -> Item.of(pk, id + "/" + String.format("%02d", i), id)).toList()),
                        id -> allOrNone(pk, id, PostgresBackend.COPY_MIN_ITEMS + 6)));
    }

    /** Whether all {@code n} items of a batch are there (false if none); a part of them fails the test. */
    private boolean allOrNone(String pk, String id, int n) {
        int present = 0;
        for (int i = 0; i < n; i++) {
            present += read(pk, id + "/" + String.format("%02d", i)).isPresent() ? 1 : 0;
        }
        assertTrue(present == 0 || present == n, id + ": " + present + " of " + n + " items of one chunk were written");
        return present == n;
    }

        /** An upstream rule applying {@code action} to the first chunk containing {@code then} after one containing {@code marker}. */
    private static FaultProxy.Rule afterMarker(byte[] marker, String then, Action action) {
        java.util.concurrent.atomic.AtomicInteger state = new java.util.concurrent.atomic.AtomicInteger();
        byte[] next = then.getBytes(StandardCharsets.US_ASCII);
        return (conn, chunk) -> {
            if (state.get() == 0 && indexOf(chunk, marker) >= 0) {
                state.set(conn);
                return Action.FORWARD;
            }
            if (state.get() == conn && indexOf(chunk, next) >= 0) {
                state.set(-1);
                return action;
            }
            return Action.FORWARD;
        };
    }

    /** A downstream rule cutting (before forwarding) the first answer chunk that contains one of {@code markers}. */
    private static FaultProxy.Rule firstAnswer(String[] markers) {
        java.util.concurrent.atomic.AtomicBoolean fired = new java.util.concurrent.atomic.AtomicBoolean();
        return (conn, chunk) -> {
            for (String m : markers) {
                if (indexOf(chunk, m.getBytes(StandardCharsets.US_ASCII)) >= 0 && fired.compareAndSet(false, true)) {
                    return Action.CUT_BEFORE;
                }
            }
            return Action.FORWARD;
        };
    }

    private Optional<Item<String>> read(String pk, String sk) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                return store.get(pk, sk).join();
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof UnavailableException) || System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }

    @Test
    @DisplayName("a path that stops answering fails single-item calls within connect + socket timeout, and recovers")
    void hungPathFailsWithinTheBound() throws Exception {
        storage.close();
        // The defaults: connect_timeout_ms 5,000, statement_timeout_ms 5,000, socket_timeout_ms 10,000.
        storage = StoreFactory.open(config(Map.of("postgres.pool_min_idle", 2)));
        store = storage.store("faults", Codec.utf8());
        store.put(Item.of("hung", "before", "v")).join();
        Duration bound = PostgresSettings.DEFAULT_CONNECT_TIMEOUT.plus(PostgresSettings.DEFAULT_SOCKET_TIMEOUT);
        proxy.hold();
        // One after the other: with run_on_caller (the default) each call blocks this thread.
        long start = System.nanoTime();
        Throwable getFailure = failureOf(store.get("hung", "before"));
        double getSeconds = (System.nanoTime() - start) / 1e9;
        start = System.nanoTime();
        Throwable putFailure = failureOf(store.put(Item.of("hung", "during", "v")));
        double putSeconds = (System.nanoTime() - start) / 1e9;
        proxy.heal();
        proxy.cutAll();
        Optional<Item<String>> during = read("hung", "during");
        System.out.printf("[reliability] postgres | 9 hung path | get failed after %.1f s with %s; put failed after %.1f s "
                        + "with %s (applied: %s); documented bound %d s%n", getSeconds, name(getFailure), putSeconds,
                name(putFailure), during.isPresent(), bound.toSeconds());
        assertTrue(getFailure instanceof UnavailableException, "get on a hung path: " + getFailure);
        assertTrue(putFailure instanceof UnavailableException || putFailure instanceof OutcomeUnknownException,
                "put on a hung path: " + putFailure);
        if (putFailure instanceof UnavailableException) {
            assertTrue(during.isEmpty(), "a put reported not written is there");
        }
        // A hang guard with a wide margin for a loaded machine, not a speed check.
        assertTrue(getSeconds < bound.toSeconds() * 2 + 10, "get took " + getSeconds + " s");
        assertTrue(putSeconds < bound.toSeconds() * 2 + 10, "put took " + putSeconds + " s");
        assertEquals("v", read("hung", "before").orElseThrow().value(), "reads work again once the path is healed");
        store.put(Item.of("hung", "after", "v")).join();
    }

    @Test
    @DisplayName("a future cancelled before its statement started sends nothing; a running one completes")
    void cancelledBeforeStartSendsNothing() throws Exception {
        // At the SPI, whose futures the backend completes (the API's futures are dependents of them).
        try (PostgresBackend backend = Pg.backend(config(Map.of()), Map.of("pool_size", "1", "pool_min_idle", "1",
                "run_on_caller", "false"))) {
            backend.prepareTable("faults").get(1, TimeUnit.MINUTES);
            proxy.hold();
            CompletableFuture<Long> running = backend.put(new dev.polystore.spi.WriteOp.Put("faults",
                    Key.of("cancel", "running"), "v".getBytes(StandardCharsets.UTF_8), null, Condition.none()));
            CompletableFuture<Long> queued = backend.put(new dev.polystore.spi.WriteOp.Put("faults",
                    Key.of("cancel", "queued"), "v".getBytes(StandardCharsets.UTF_8), null, Condition.none()));
            Thread.sleep(200);
            assertTrue(queued.cancel(false));
            proxy.heal();
            // The running write goes on to its end on the only worker (never interrupted mid-statement);
            // the cancelled one is skipped; the health check queued after both runs last.
            running.get(1, TimeUnit.MINUTES);
            assertTrue(backend.health().get(1, TimeUnit.MINUTES).healthy());
        }
        assertTrue(read("cancel", "running").isPresent());
        assertTrue(read("cancel", "queued").isEmpty(), "a write cancelled before it started was sent");
    }

    private static Throwable failureOf(CompletableFuture<?> f) throws Exception {
        try {
            f.get(2, TimeUnit.MINUTES);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    private static String name(Throwable t) {
        return t == null ? "success" : t.getClass().getSimpleName();
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static int scale() {
        return Integer.parseInt(System.getProperty(ReliabilityContract.SCALE_PROPERTY, "1").trim());
    }

    @SuppressWarnings("unused")
    private static Key key(String pk, String sk) {
        return Key.of(pk, sk);
    }
}
