package dev.polystore.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Health;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import dev.polystore.UnavailableException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Item 9 of docs/reliability.md: the endpoint goes down mid-run. A DynamoDB Local of this test's
 * own (persisting to a temp directory) is really stopped while reads and writes are in flight,
 * then started again on the same port over the same data, and the same {@link Storage} is used
 * throughout.
 */
class DynamoDbOutageTest {
    /** Small values so that a dead endpoint is given up on quickly. */
    static final int API_CALL_TIMEOUT_MS = 2_000;
    static final int MAX_ATTEMPTS = 2;
    /** A future not complete after this long counts as hung (far above the call timeout). */
    static final long HANG_BOUND_MS = 30_000;

    static final int SEEDED = 50;
    static final int IN_FLIGHT_WRITES = 100;
    static final int IN_FLIGHT_READS = 100;
    static final int WHILE_DOWN = 20;
    static final int AFTER_RESTART = 20;

    @TempDir
    Path dataDir;

    /** One operation and when it completed (nanoTime, 0 while pending). */
    record Op(String kind, Key key, CompletableFuture<?> future, AtomicLong completedAt) {
        static Op track(String kind, Key key, CompletableFuture<?> future) {
            AtomicLong at = new AtomicLong();
            future.whenComplete((v, e) -> at.set(System.nanoTime()));
            return new Op(kind, key, future, at);
        }

        boolean isWrite() {
            return kind.startsWith("write");
        }
    }

    /** What an operation ended as, once it has completed. */
    record Outcome(Op op, Throwable failure, boolean hung) {
        String kind() {
            return hung ? "HUNG" : failure == null ? "success" : failure.getClass().getSimpleName();
        }
    }

    @Test
    @DisplayName("a DynamoDB Local stopped mid-run: pending calls fail as unavailable, none hangs; after a restart the same storage works")
    void stopAndRestart() throws Exception {
        DedicatedDynamoDbLocal server = DedicatedDynamoDbLocal.startOnFreePort(dataDir);
        int port = server.port();
        StorageConfig config = TestConfigs.withDefaultTimeouts(server.endpoint())
                .set("dynamodb.api_call_timeout_ms", API_CALL_TIMEOUT_MS)
                .set("dynamodb.max_attempts", MAX_ATTEMPTS)
                .build();
        DedicatedDynamoDbLocal restarted = null;
        try (Storage storage = StoreFactory.open(config)) {
            Store<String> store = storage.store("outage", String.class);
            List<CompletableFuture<Item<String>>> seeds = new ArrayList<>();
            for (int i = 0; i < SEEDED; i++) {
                seeds.add(store.put(Item.of("seed", "s" + i, "v" + i)));
            }
            seeds.forEach(f -> get(f));
            assertTrue(get(storage.health()).healthy(), "healthy before the stop");

            // Reads and writes in flight, then the server stops under them.
            List<Op> inFlight = new ArrayList<>();
            for (int i = 0; i < Math.max(IN_FLIGHT_WRITES, IN_FLIGHT_READS); i++) {
                if (i < IN_FLIGHT_WRITES) {
                    Key key = Key.of("inflight", "w" + i);
                    inFlight.add(Op.track("write", key, store.putIfAbsent(Item.of(key, "w" + i))));
                }
                if (i < IN_FLIGHT_READS) {
                    Key key = Key.of("seed", "s" + (i % SEEDED));
                    inFlight.add(Op.track("read", key, store.get(key)));
                }
            }
            List<Op> pending = new ArrayList<>();
            List<Op> doneBeforeStop = new ArrayList<>();
            for (Op op : inFlight) {
                (op.future().isDone() ? doneBeforeStop : pending).add(op);
            }
            long stopped = System.nanoTime();
            server.stop(); // returns once the server has stopped serving (it finishes or fails what it holds)
            long stopMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped);

            // Health first: its refused connection also means the client has dropped the
            // connections the stopped server closed, so the calls below open new ones.
            Health down = storage.health().get(HANG_BOUND_MS, TimeUnit.MILLISECONDS);
            // Calls started while the endpoint is down.
            List<Op> whileDown = new ArrayList<>();
            for (int i = 0; i < WHILE_DOWN; i++) {
                Key write = Key.of("down", "w" + i);
                whileDown.add(Op.track("write while down", write, store.putIfAbsent(Item.of(write, "d" + i))));
                whileDown.add(Op.track("read while down", Key.of("seed", "s" + i), store.get("seed", "s" + i)));
            }

            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HANG_BOUND_MS);
            List<Outcome> pendingOutcomes = outcomes(pending, deadline);
            List<Outcome> downOutcomes = outcomes(whileDown, deadline);
            List<Outcome> earlyOutcomes = outcomes(doneBeforeStop, deadline);
            long maxAfterStopMs = maxAfterMs(pendingOutcomes, stopped);
            long maxWhileDownMs = maxAfterMs(downOutcomes, stopped);

            figure("in flight at stop: issued=" + inFlight.size() + " (writes=" + IN_FLIGHT_WRITES + " reads="
                    + IN_FLIGHT_READS + ") done before the stop=" + doneBeforeStop.size() + " " + byKind(earlyOutcomes)
                    + " pending at the stop=" + pending.size() + " " + byKind(pendingOutcomes) + " stop() took " + stopMs
                    + " ms, max completion after the stop began=" + maxAfterStopMs + " ms (api_call_timeout_ms="
                    + API_CALL_TIMEOUT_MS + ", max_attempts=" + MAX_ATTEMPTS + ", hang bound " + HANG_BOUND_MS
                    + " ms) hung=" + hung(pendingOutcomes));
            figure("issued while down: " + whileDown.size() + " (writes=" + WHILE_DOWN + " reads=" + WHILE_DOWN + ") "
                    + byKind(downOutcomes) + " max completion after the stop began=" + maxWhileDownMs + " ms hung="
                    + hung(downOutcomes) + "; health while down: healthy=" + down.healthy() + " error="
                    + down.details().get("error"));

            // Restart on the same port over the same data.
            restarted = restart(port);
            Health up = get(storage.health());
            int seededBack = 0;
            for (int i = 0; i < SEEDED; i++) {
                Optional<Item<String>> item = get(store.get("seed", "s" + i));
                if (item.isPresent() && item.get().value().equals("v" + i)) {
                    seededBack++;
                }
            }
            // What the in-flight writes really did, now that they can be read.
            Map<String, Integer> writesApplied = new TreeMap<>();
            List<String> problems = new ArrayList<>();
            for (Outcome o : concat(earlyOutcomes, pendingOutcomes, downOutcomes)) {
                if (!o.op().isWrite() || o.hung()) {
                    continue;
                }
                boolean applied = get(store.get(o.op().key())).isPresent();
                writesApplied.merge(o.kind() + (applied ? " applied" : " not applied"), 1, Integer::sum);
                if (o.failure() == null && !applied) {
                    problems.add("reported success, not applied: " + o.op().key());
                }
                if (o.failure() instanceof UnavailableException && applied) {
                    problems.add("reported unavailable (not applied), but applied: " + o.op().key());
                }
            }
            // The retryable failures retried by the caller now succeed.
            int retried = 0;
            for (Outcome o : concat(pendingOutcomes, downOutcomes)) {
                if (o.op().isWrite() && o.failure() instanceof UnavailableException) {
                    Item<String> item = get(store.putIfAbsent(Item.of(o.op().key(), "retried")));
                    assertEquals(1, item.version());
                    retried++;
                }
            }
            int newWrites = 0;
            for (int i = 0; i < AFTER_RESTART; i++) {
                Item<String> item = get(store.putIfAbsent(Item.of("after", "a" + i, "a" + i)));
                if (item.version() == 1 && get(store.get("after", "a" + i)).isPresent()) {
                    newWrites++;
                }
            }
            figure("after restart on the same port " + port + " (same -dbPath): health healthy=" + up.healthy()
                    + " seeded items read back=" + seededBack + "/" + SEEDED + " new writes=" + newWrites + "/"
                    + AFTER_RESTART + " unavailable writes retried and applied=" + retried + " writes by outcome and state="
                    + writesApplied + " problems=" + problems.size());

            // Assertions, after every figure is printed.
            assertEquals(0, hung(pendingOutcomes) + hung(downOutcomes) + hung(earlyOutcomes), "futures that hung");
            for (Outcome o : concat(earlyOutcomes, pendingOutcomes)) {
                // The server finishes or fails what it holds while it stops. A write it received
                // may have been applied: "outcome unknown" is then the truth (docs/dynamodb.md,
                // Ambiguous outcomes); every other failure is the retryable "unavailable", and
                // the read-back above holds each outcome to the state it claims.
                if (o.failure() == null) {
                    continue;
                }
                if (o.op().isWrite() && o.failure() instanceof OutcomeUnknownException) {
                    continue;
                }
                assertTrue(o.failure() instanceof UnavailableException, o.op() + ": " + o.failure());
                assertTrue(((UnavailableException) o.failure()).retryable());
            }
            for (Outcome o : downOutcomes) {
                assertTrue(o.failure() instanceof UnavailableException,
                        "nothing was sent to a stopped server: " + o.op() + ": " + o.failure());
                assertTrue(((UnavailableException) o.failure()).retryable());
            }
            assertFalse(down.healthy(), "unhealthy while down");
            assertEquals(List.of(), problems);
            assertTrue(up.healthy(), "healthy after the restart: " + up);
            assertEquals(SEEDED, seededBack, "the items written before the stop survive it");
            assertEquals(AFTER_RESTART, newWrites);
        } finally {
            if (restarted != null) {
                restarted.stop();
            }
        }
    }

    /** Starts the server again on {@code port}; a few tries in case the port is not free at once. */
    private DedicatedDynamoDbLocal restart(int port) throws Exception {
        Exception last = null;
        for (int attempt = 1; attempt <= 5; attempt++) {
            try {
                DedicatedDynamoDbLocal server = DedicatedDynamoDbLocal.start(port, dataDir);
                if (attempt > 1) {
                    figure("restart: port " + port + " was reused on attempt " + attempt);
                }
                return server;
            } catch (Exception e) {
                last = e;
            }
        }
        throw new AssertionError("could not restart DynamoDB Local on port " + port, last);
    }

    private static List<Outcome> outcomes(List<Op> ops, long deadline) {
        List<Outcome> outcomes = new ArrayList<>();
        for (Op op : ops) {
            long left = Math.max(0, deadline - System.nanoTime());
            try {
                op.future().get(left, TimeUnit.NANOSECONDS);
                outcomes.add(new Outcome(op, null, false));
            } catch (ExecutionException e) {
                outcomes.add(new Outcome(op, unwrap(e.getCause()), false));
            } catch (TimeoutException e) {
                outcomes.add(new Outcome(op, e, true));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
        return outcomes;
    }

    private static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while (current instanceof CompletionException && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    private static String byKind(List<Outcome> outcomes) {
        Map<String, Integer> counts = new TreeMap<>();
        for (Outcome o : outcomes) {
            counts.merge((o.op().isWrite() ? "write " : "read ") + o.kind(), 1, Integer::sum);
        }
        return counts.toString();
    }

    private static int hung(List<Outcome> outcomes) {
        return (int) outcomes.stream().filter(Outcome::hung).count();
    }

    private static long maxAfterMs(List<Outcome> outcomes, long since) {
        long max = 0;
        for (Outcome o : outcomes) {
            long at = o.op().completedAt().get();
            if (!o.hung() && at > since) {
                max = Math.max(max, TimeUnit.NANOSECONDS.toMillis(at - since));
            }
        }
        return max;
    }

    @SafeVarargs
    private static List<Outcome> concat(List<Outcome>... lists) {
        List<Outcome> all = new ArrayList<>();
        for (List<Outcome> l : lists) {
            all.addAll(l);
        }
        return all;
    }

    private static <T> T get(CompletableFuture<T> future) {
        try {
            return future.get(HANG_BOUND_MS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            throw new AssertionError("operation failed: " + e, e);
        }
    }

    private static void figure(String text) {
        System.out.println("[reliability] dynamodb | 9 endpoint down | " + text);
    }
}
