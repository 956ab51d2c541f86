package dev.polystore.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Item;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Storage;
import dev.polystore.StoreFactory;
import dev.polystore.Store;
import dev.polystore.UnavailableException;
import dev.polystore.testkit.net.FaultProxy;
import dev.polystore.testkit.redis.RedisServer;
import dev.polystore.testkit.redis.RedisServerExtension;
import dev.polystore.testkit.redis.Resp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Faults between the client and Redis, staged with the testkit's {@link FaultProxy}, and the
 * script cache flushed under load. Lettuce sends a command again after a reconnect when its
 * answer was lost; the write ids and outcome records of the scripts must turn every such replay
 * into the first run's outcome: 0 misreported outcomes (a success not applied, a condition
 * failure or "not written" for a write that was applied) and 0 double applies. Each test prints
 * one {@code [reliability] redis | …} line (docs/reliability.md, Redis).
 */
class RedisFaultTest {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    private FaultProxy proxy;
    private Storage storage;
    private String prefix;

    @BeforeEach
    void open() {
        RedisServer server = REDIS.server();
        proxy = FaultProxy.start(server.host(), server.port());
        prefix = "f" + UUID.randomUUID().toString().substring(0, 8) + ":";
        storage = StoreFactory.open(TestConfigs.redis("redis://" + proxy.host() + ":" + proxy.port())
                .set("redis.key_prefix", prefix).build());
    }

    @AfterEach
    void close() {
        if (storage != null) {
            storage.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    private static long commandCalls(RedisServer server, String command) {
        String stats = String.valueOf(Resp.call(server.host(), server.port(), 5000, "INFO", "commandstats"));
        for (String line : stats.split("\r?\n")) {
            if (line.startsWith("cmdstat_" + command + ":calls=")) {
                String v = line.substring(("cmdstat_" + command + ":calls=").length());
                return Long.parseLong(v.substring(0, v.indexOf(',')));
            }
        }
        return 0;
    }

    private static Throwable failure(java.util.concurrent.CompletableFuture<?> f) {
        try {
            f.get(60, TimeUnit.SECONDS);
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable t = e.getCause();
            return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        } catch (Exception e) {
            throw new AssertionError("a call did not complete within 60 s (hung)", e);
        }
    }

    @Test
    @DisplayName("every write whose answer is lost after Redis ran it is sent again by Lettuce and returns its first outcome")
    void lostAnswersReplayToTheFirstOutcome() {
        lostAnswers(storage, 100 * Scale.factor(), true);
    }

    @Test
    @DisplayName("the same faults on a backend that sends writes again without their write id are caught as misreports")
    void forgottenWriteIdsAreCaught() {
        try (Storage forgetful = StoreFactory.open(dev.polystore.StorageConfig.builder().backend("forgetfulredis")
                .set("forgetfulredis.uri", "redis://" + proxy.host() + ":" + proxy.port())
                .set("forgetfulredis.key_prefix", prefix + "forgetful:").build())) {
            List<String> problems = lostAnswers(forgetful, 30, false);
            Report.print("lost answers, write ids forgotten (must be caught)", "writes=90 misreports=" + problems.size()
                    + " e.g. " + problems.stream().limit(2).toList());
            assertTrue(problems.stream().anyMatch(p -> p.contains("condition failure for the write's own first run")
                            || p.contains("applied twice") || p.contains("'was not there'")),
                    "without write ids a write sent again must be misreported: " + problems);
        }
    }

    /** Three writes at a time whose first answer is dropped after Redis ran them; the problems found. */
    private List<String> lostAnswers(Storage storage, int rounds, boolean strict) {
        Store<String> s = storage.store("faults", Codec.utf8());
        for (int i = 0; i < rounds; i++) {
            s.put(Item.of("del", "d" + i, "to delete")).join();
        }
        AtomicBoolean armed = new AtomicBoolean();
        // The first answer after arming is dropped and the connection reset: the write ran, its answer never came.
        proxy.onDownstream((connection, chunk) -> armed.compareAndSet(true, false) ? FaultProxy.Action.CUT_BEFORE
                : FaultProxy.Action.FORWARD);
        long evalshaBefore = commandCalls(REDIS.server(), "evalsha");
        int connectionsBefore = proxy.connectionsAccepted();
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            // Three writes in flight at once; the first answer chunk is dropped and the connection reset.
            // Lettuce fails the first in-flight command with the reset and re-sends the others after the
            // reconnect; the backend sends the failed one again itself. Every write ran before its answer
            // was lost, so each second run must find its outcome record.
            armed.set(true);
            var create = s.putIfAbsent(Item.of("c", "c" + i, "v" + i));
            var upsert = s.put(Item.of("u", "u" + i, "v" + i));
            var delete = s.delete("del", "d" + i);
            Map<String, Throwable> failures = new java.util.LinkedHashMap<>();
            failures.put("create", failure(create));
            failures.put("upsert", failure(upsert));
            failures.put("delete", failure(delete));
            for (Map.Entry<String, Throwable> e : failures.entrySet()) {
                Throwable t = e.getValue();
                String kind = e.getKey();
                outcomes.merge(kind + " " + (t == null ? "success" : t.getClass().getSimpleName()), 1, Integer::sum);
                if (t instanceof ConditionFailedException) {
                    problems.add(kind + " " + i + ": a condition failure for the write's own first run");
                } else if (t != null && !(t instanceof OutcomeUnknownException)) {
                    problems.add(kind + " " + i + ": " + t);
                }
            }
            if (failures.get("delete") == null && !delete.join()) {
                problems.add("delete " + i + " answered 'was not there' for an item it deleted");
            }
            if (failures.get("delete") == null && s.get("del", "d" + i).join().isPresent()) {
                problems.add("delete " + i + " succeeded but the item is still there");
            }
            for (String kind : List.of("create", "upsert")) {
                String pk = kind.substring(0, 1);
                var item = s.get(pk, pk + i).join();
                if (failures.get(kind) == null && (item.isEmpty() || item.get().version() != 1)) {
                    problems.add(kind + " " + i + " succeeded but the item is " + item
                            + (item.isPresent() ? " (applied twice)" : " (missing)"));
                }
            }
        }
        long evalsha = commandCalls(REDIS.server(), "evalsha") - evalshaBefore;
        int reconnects = proxy.connectionsAccepted() - connectionsBefore;
        if (strict) {
            Report.print("lost answers", "writes=" + 3 * rounds + " connections reset after Redis ran them=" + rounds
                    + " reconnects=" + reconnects
                    + " EVALSHA runs=" + evalsha + " outcomes=" + outcomes + " misreports=" + problems.size()
                    + " double applies=" + problems.stream().filter(p -> p.contains("twice")).count());
        }
        if (!strict) {
            proxy.onDownstream(FaultProxy.Rule.FORWARD_ALL);
            return problems;
        }
        assertTrue(problems.isEmpty(), "replayed writes misreported:\n  " + String.join("\n  ", problems));
        assertTrue(reconnects >= rounds, "each dropped answer costs a reconnect: " + reconnects);
        assertTrue(evalsha > 3L * rounds, "writes whose answer was lost ran again: EVALSHA ran " + evalsha + " times for "
                + 3 * rounds + " writes");
        assertEquals(3 * rounds, outcomes.entrySet().stream().filter(e -> e.getKey().endsWith("success"))
                .mapToInt(Map.Entry::getValue).sum(), "every write, sent again with its write id, reports its first outcome: "
                + outcomes);
        return problems;
    }

    /**
     * Threads increment shared counters by read, then put {@code ifVersion}; each value is the
     * list of the increments applied so far, so the final values say exactly which writes were
     * applied, and how often. Meanwhile {@code disturb} runs (cuts, script flushes).
     */
    private void incrementsUnder(String name, Runnable disturb, int disturbEveryMillis) throws Exception {
        Store<String> s = storage.store("counters", Codec.utf8());
        int counters = 4;
        int threads = 4;
        int perThread = 150 * Scale.factor();
        for (int c = 0; c < counters; c++) {
            s.put(Item.of("ctr", "c" + c, "")).join();
        }
        Map<String, String> outcomeOf = new ConcurrentHashMap<>();
        Map<String, Integer> counterOf = new ConcurrentHashMap<>();
        Map<String, Integer> kinds = new ConcurrentHashMap<>();
        AtomicLong retries = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger disturbances = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        Future<?> disturber = pool.submit(() -> {
            Random r = new Random(7);
            while (!stop.get()) {
                try {
                    Thread.sleep(disturbEveryMillis / 2 + r.nextInt(disturbEveryMillis));
                } catch (InterruptedException e) {
                    return null;
                }
                disturb.run();
                disturbances.incrementAndGet();
            }
            return null;
        });
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            workers.add(pool.submit(() -> {
                Random r = new Random(thread);
                for (int i = 0; i < perThread; i++) {
                    int c = r.nextInt(counters);
                    String op = "t" + thread + "i" + i;
                    while (true) {
                        Item<String> read;
                        try {
                            read = s.get("ctr", "c" + c).join().orElseThrow();
                        } catch (CompletionException e) {
                            if (e.getCause() instanceof UnavailableException) {
                                retries.incrementAndGet();
                                continue; // the read failed: read again
                            }
                            throw e;
                        }
                        String next = read.value().isEmpty() ? op : read.value() + "," + op;
                        Throwable f = failure(s.put(Item.of("ctr", "c" + c, next), Condition.ifVersion(read.version())));
                        String kind = f == null ? "success" : f.getClass().getSimpleName();
                        kinds.merge(kind, 1, Integer::sum);
                        if (f instanceof ConditionFailedException) {
                            outcomeOf.put(op + "@" + read.version(), kind); // this attempt lost: try again
                            retries.incrementAndGet();
                            continue;
                        }
                        if (f != null && !(f instanceof OutcomeUnknownException) && !(f instanceof UnavailableException)) {
                            throw new AssertionError("an increment failed with " + f, f);
                        }
                        outcomeOf.put(op, kind);
                        counterOf.put(op, c);
                        break; // success, unknown or not written: this op is done either way
                    }
                }
                return null;
            }));
        }
        try {
            for (Future<?> w : workers) {
                w.get(10, TimeUnit.MINUTES);
            }
        } finally {
            stop.set(true);
            disturber.get(1, TimeUnit.MINUTES);
            pool.shutdownNow();
        }
        proxy.heal();
        // What was applied, from the values themselves.
        Map<String, Integer> applied = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (int c = 0; c < counters; c++) {
            Item<String> item = s.get("ctr", "c" + c).join().orElseThrow();
            List<String> history = item.value().isEmpty() ? List.of() : Arrays.asList(item.value().split(","));
            if (item.version() != history.size() + 1) {
                problems.add("counter " + c + " is at version " + item.version() + " with " + history.size()
                        + " increments in its value");
            }
            for (String op : history) {
                applied.merge(op, 1, Integer::sum);
            }
        }
        long doubles = applied.values().stream().filter(n -> n > 1).count();
        for (Map.Entry<String, String> e : outcomeOf.entrySet()) {
            String op = e.getKey();
            boolean attempt = op.contains("@");
            String base = attempt ? op.substring(0, op.indexOf('@')) : op;
            String kind = e.getValue();
            if (attempt) {
                continue; // a losing attempt's op may still win later; checked through its final outcome
            }
            int times = applied.getOrDefault(base, 0);
            if (kind.equals("success") && times != 1) {
                problems.add(base + " succeeded but is applied " + times + " times");
            } else if (kind.equals("UnavailableException") && times != 0) {
                problems.add(base + " was reported not written but is applied " + times + " times");
            } else if (kind.equals("OutcomeUnknownException") && times > 1) {
                problems.add(base + " (outcome unknown) is applied " + times + " times");
            }
        }
        Set<String> reported = new HashSet<>();
        outcomeOf.keySet().forEach(k -> reported.add(k.contains("@") ? k.substring(0, k.indexOf('@')) : k));
        for (String op : applied.keySet()) {
            if (!outcomeOf.containsKey(op)) {
                problems.add(op + " is applied but its final outcome was a condition failure");
            }
        }
        Report.print(name, "threads=" + threads + " counters=" + counters + " increments=" + threads * perThread
                + " disturbances=" + disturbances.get() + " connections=" + proxy.connectionsAccepted()
                + " outcomes=" + new TreeMap<>(kinds) + " retries=" + retries.get() + " applied=" + applied.size()
                + " double applies=" + doubles + " misreports=" + problems.size());
        assertEquals(0, doubles, "writes applied twice: " + problems);
        assertTrue(problems.isEmpty(), "outcomes that differ from the data:\n  "
                + String.join("\n  ", problems.subList(0, Math.min(20, problems.size()))));
        assertEquals(threads * perThread, new LinkedHashSet<>(reported).size(), "every increment got a final outcome");
    }

    @Test
    @DisplayName("connections cut under concurrent conditional increments: 0 misreported outcomes, 0 double applies")
    void reconnectsUnderLoad() throws Exception {
        incrementsUnder("reconnects mid-run", proxy::cutAll, 40);
    }

    @Test
    @DisplayName("SCRIPT FLUSH under concurrent conditional increments: NOSCRIPT falls back to EVAL, 0 misreported outcomes")
    void scriptFlushUnderLoad() throws Exception {
        RedisServer server = REDIS.server();
        long evalBefore = commandCalls(server, "eval");
        incrementsUnder("SCRIPT FLUSH mid-run",
                () -> Resp.call(server.host(), server.port(), 5000, "SCRIPT", "FLUSH"), 20);
        long evals = commandCalls(server, "eval") - evalBefore;
        Report.print("SCRIPT FLUSH mid-run", "EVAL fallbacks=" + evals);
        assertTrue(evals > 0, "after SCRIPT FLUSH some EVALSHA must have met NOSCRIPT and fallen back to EVAL");
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
