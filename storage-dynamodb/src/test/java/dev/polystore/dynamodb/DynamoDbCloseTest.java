package dev.polystore.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import dev.polystore.UnavailableException;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import dev.polystore.testkit.net.FaultProxy;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 11 section 2 on DynamoDB, staged deterministically through a TCP proxy (the kit's
 * {@code CloseWhileBusy} contract runs too, but a fast engine may have answered everything before
 * close is called): a slow path, where close must wait for the answers instead of turning
 * accepted writes into "outcome unknown"; a hung path, where close gives up after
 * {@code close_grace_ms} and says exactly what is known; and close called from a callback.
 */
class DynamoDbCloseTest {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    static final int PUTS = 200;
    static final int GETS = 50;

    private FaultProxy proxy;
    private Storage direct;
    private String pk;

    @BeforeEach
    void start() {
        proxy = FaultProxy.start("127.0.0.1", DYNAMODB.endpoint().getPort());
        direct = StoreFactory.open(TestConfigs.local(DYNAMODB.endpoint()).build());
        pk = "close-" + UUID.randomUUID();
    }

    @AfterEach
    void stop() {
        proxy.heal();
        direct.close();
        proxy.close();
    }

    private Storage viaProxy(Map<String, Object> extra) {
        var b = TestConfigs.withDefaultTimeouts(URI.create("http://127.0.0.1:" + proxy.port()));
        extra.forEach(b::set);
        return StoreFactory.open(b.build());
    }

    /** One operation and its future. */
    private record Op(String kind, Key key, CompletableFuture<?> future) {
        String outcome() {
            if (!future.isDone()) {
                return "PENDING";
            }
            try {
                future.getNow(null);
                return "success";
            } catch (CompletionException e) {
                return e.getCause().getClass().getSimpleName();
            }
        }
    }

    @Test
    @DisplayName("on a slow path, close waits for the answers: every future complete when it returns, every write a success and stored")
    void slowPath() {
        // The timeouts of a slow engine, and a grace long enough for a loaded machine: the point
        // is that close waits, not how long the answers take.
        Map<String, Object> slow = new java.util.HashMap<>(TestConfigs.SLOW_ENGINE_TIMEOUTS);
        slow.put("dynamodb.close_grace_ms", 120_000);
        Storage storage = viaProxy(slow);
        Store<String> store = storage.store("closing", String.class);
        Store<String> seeding = direct.store("closing", String.class);
        for (int i = 0; i < GETS; i++) {
            seeding.put(Item.of(pk, "g" + i, "seed")).join();
        }
        store.get(pk, "g0").join(); // the table is ready for this storage too
        // Every answer from DynamoDB is held back 100 ms per chunk on its connection.
        proxy.onDownstream((connection, chunk) -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return FaultProxy.Action.FORWARD;
        });
        List<Op> ops = issue(store);
        long pendingAtClose = ops.stream().filter(o -> !o.future().isDone()).count();
        long t0 = System.nanoTime();
        storage.close();
        long closeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

        Map<String, Integer> outcomes = outcomes(ops);
        List<String> problems = new ArrayList<>();
        Store<String> check = direct.store("closing", String.class);
        for (Op op : ops) {
            if (op.kind().equals("put")) {
                Optional<Item<String>> stored = check.get(op.key()).join();
                if (!op.outcome().equals("success") || stored.isEmpty()) {
                    problems.add(op.key().sk() + ": " + op.outcome() + ", stored=" + stored.isPresent());
                }
            } else if (!op.outcome().equals("success")) {
                problems.add(op.key().sk() + ": " + op.outcome());
            }
        }
        figure("slow path (every answer 100 ms late): in flight=" + ops.size() + " pending when close() was called="
                + pendingAtClose + " close() took " + closeMs + " ms outcomes=" + outcomes
                + " problems=" + problems.size());
        assertTrue(pendingAtClose > 0, "the slow path left calls in flight at close");
        assertEquals(0, outcomes.getOrDefault("PENDING", 0), "futures still pending when close returned");
        assertEquals(List.of(), problems, "a clean shutdown lets the accepted writes finish as successes");
    }

    @Test
    @DisplayName("on a hung path, close gives up after close_grace_ms: sent writes outcome unknown, writes never sent and reads unavailable")
    void hungPath() throws Exception {
        int connections = 4;
        Storage storage = viaProxy(Map.of("dynamodb.close_grace_ms", 1_000, "dynamodb.max_concurrency", connections));
        Store<String> store = storage.store("closing", String.class);
        DynamoDbTimeoutTest.eventually(() -> store.put(Item.of(pk, "warm", "v")));
        proxy.hold();
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Key key = Key.of(pk, "p" + i);
            ops.add(new Op("put", key, store.putIfAbsent(Item.of(key, "v"))));
        }
        for (int i = 0; i < 5; i++) {
            Key key = Key.of(pk, "warm");
            ops.add(new Op("get", key, store.get(key)));
        }
        Thread.sleep(300); // let the first requests take the connections
        long t0 = System.nanoTime();
        storage.close();
        long closeMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        Map<String, Integer> outcomes = outcomes(ops);

        proxy.heal();
        Thread.sleep(2_000); // whatever the proxy still held reaches DynamoDB now
        Store<String> check = direct.store("closing", String.class);
        List<String> problems = new ArrayList<>();
        int unknownApplied = 0;
        for (Op op : ops) {
            String outcome = op.outcome();
            if (op.kind().equals("get")) {
                if (!outcome.equals(UnavailableException.class.getSimpleName())) {
                    problems.add("get: " + outcome);
                }
                continue;
            }
            boolean stored = check.get(op.key()).join().isPresent();
            if (outcome.equals(UnavailableException.class.getSimpleName()) && stored) {
                problems.add(op.key().sk() + " reported not written, but stored");
            } else if (outcome.equals(OutcomeUnknownException.class.getSimpleName())) {
                unknownApplied += stored ? 1 : 0;
            } else if (!outcome.equals(UnavailableException.class.getSimpleName())) {
                problems.add(op.key().sk() + ": " + outcome);
            }
        }
        int unknown = outcomes.getOrDefault("put " + OutcomeUnknownException.class.getSimpleName(), 0);
        figure("hung path (close_grace_ms=1000, max_concurrency=" + connections + "): close() took " + closeMs
                + " ms, outcomes=" + outcomes + "; after the path came back: outcome-unknown puts applied="
                + unknownApplied + "/" + unknown + ", unavailable puts stored=0 expected, problems=" + problems);
        assertEquals(0, outcomes.getOrDefault("put PENDING", 0) + outcomes.getOrDefault("get PENDING", 0),
                "futures still pending when close returned");
        assertTrue(closeMs < 1_000 + 10_000, "close took " + closeMs + " ms, far past close_grace_ms");
        assertTrue(unknown <= connections, "at most one write per connection can have been sent: " + outcomes);
        assertTrue(outcomes.getOrDefault("put " + UnavailableException.class.getSimpleName(), 0) >= 20 - connections,
                "the writes waiting for a connection were never sent: " + outcomes);
        assertEquals(List.of(), problems);
    }

    @Test
    @DisplayName("close called from a callback of one of its own futures returns at once, and the calls in flight still complete")
    void closeFromCallback() throws Exception {
        Storage storage = StoreFactory.open(TestConfigs.local(DYNAMODB.endpoint())
                .set("dynamodb.close_grace_ms", 120_000).build());
        Store<String> store = storage.store("closing", String.class);
        store.put(Item.of(pk, "warm", "v")).join();
        List<Op> ops = issue(store);
        CompletableFuture<Long> closedIn = store.put(Item.of(pk, "trigger", "v")).thenApply(item -> {
            long t0 = System.nanoTime();
            storage.close();
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        });
        long closeMs = closedIn.get(60, TimeUnit.SECONDS);
        CompletableFuture.allOf(ops.stream().map(Op::future).map(f -> f.handle((v, e) -> null))
                .toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        Map<String, Integer> outcomes = outcomes(ops);
        figure("close() from a callback: returned in " + closeMs + " ms; the calls in flight then completed: " + outcomes);
        for (Op op : ops) {
            String outcome = op.outcome();
            assertTrue(outcome.equals("success") || outcome.equals(UnavailableException.class.getSimpleName()),
                    op.kind() + " " + op.key().sk() + ": " + outcome);
        }
    }

    private List<Op> issue(Store<String> store) {
        List<Op> ops = new ArrayList<>();
        for (int i = 0; i < PUTS; i++) {
            Key key = Key.of(pk, "p" + i);
            ops.add(new Op("put", key, store.put(Item.of(key, "v" + i))));
            if (i % (PUTS / GETS) == 0) {
                Key read = Key.of(pk, "g" + i / (PUTS / GETS));
                ops.add(new Op("get", read, store.get(read)));
            }
        }
        return ops;
    }

    private static Map<String, Integer> outcomes(List<Op> ops) {
        Map<String, Integer> counts = new TreeMap<>();
        ops.forEach(o -> counts.merge(o.kind() + " " + o.outcome(), 1, Integer::sum));
        return counts;
    }

    private static void figure(String text) {
        System.out.println("[reliability] dynamodb | 11 close | " + text);
    }
}
