package dev.polystore.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.BatchWriteException;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.UnavailableException;
import dev.polystore.dynamodb.FaultInjectingHttpClient.Fault;
import dev.polystore.spi.ConfigSection;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.WriteOp;
import dev.polystore.testkit.MutableClock;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.retries.api.BackoffStrategy;

/**
 * A fault sweep at the HTTP layer (issue 12's section 4, for the DynamoDB classification of
 * section 2): a fixed mix of operations (conditional and unconditional puts, deletes, a
 * transaction, a batch, reads) is run once to count its HTTP calls, then again for every N and
 * every fault kind with that fault injected into the N-th call. After each operation the item
 * is read by another client and the reported outcome is checked against it:
 * <ul>
 *   <li>success: the write is there, with the version reported (a delete: the item is gone);</li>
 *   <li>{@link UnavailableException} (not written): the item is as before;</li>
 *   <li>{@link OutcomeUnknownException}: as before, or as written;</li>
 *   <li>{@link ConditionFailedException}: the condition was false before, and nothing changed;</li>
 *   <li>{@link BatchWriteException}: keys not written as before, keys in doubt either, the rest written;</li>
 * </ul>
 * and after each run the same backend must work again. Prints the figures; 0 violations.
 *
 * <p>{@code mvn verify} runs a sample: every call position N with one fault kind, each kind at
 * every {@value #SAMPLE_STRIDE}rd position (kind i at N = i + 1, i + 1 + stride, ...), so every
 * call and every kind is hit. The full sweep (every kind at every N) runs with
 * {@code -Dpolystore.faultsweep.full=true} or {@code -Pfault-sweep-full}.
 */
class DynamoDbFaultSweepTest {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    static final String STORE = "sweep";
    static final int MAX_ATTEMPTS = 3;
    static final int SAMPLE_STRIDE = 3;
    static final boolean FULL = Boolean.getBoolean("polystore.faultsweep.full");
    static final List<Fault> KINDS = List.of(Fault.LOSE_RESPONSE, Fault.HEADERS_THEN_CUT, Fault.SERVER_ERROR,
            Fault.REFUSE, Fault.POOL_CLOSED, Fault.ACQUIRE_TIMEOUT, Fault.THROTTLE);

    private FaultInjectingHttpClient faults;
    private DynamoDbBackend backend;
    private DynamoDbBackend reader;
    private final List<String> violations = new ArrayList<>();
    private final Map<String, Integer> outcomes = new TreeMap<>();
    private int checked;

    @Test
    @DisplayName("every fault kind in every HTTP call of a mix of operations: outcome = data, recovery, 0 violations")
    void sweep() {
        ConfigSection section = TestConfigs.section(DYNAMODB.endpoint(), Map.of("max_attempts", String.valueOf(MAX_ATTEMPTS)));
        ClientFactory.Hooks hooks = new ClientFactory.Hooks(List.of(), h -> faults = new FaultInjectingHttpClient(h),
                b -> b.backoffStrategy(BackoffStrategy.exponentialDelay(Duration.ofMillis(1), Duration.ofMillis(10)))
                        .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(Duration.ofMillis(1),
                                Duration.ofMillis(10))));
        MutableClock clock = MutableClock.startingNow();
        long t0 = System.nanoTime();
        int runs = 0;
        int injected = 0;
        Map<String, Integer> hitOperations = new TreeMap<>();
        try (DynamoDbBackend b = DynamoDbStorageProvider.open(DynamoDbSettings.from(section),
                new ProviderContext(section, clock), hooks, 3);
             DynamoDbBackend r = DynamoDbStorageProvider.open(DynamoDbSettings.from(section),
                     new ProviderContext(section, clock), ClientFactory.Hooks.NONE, 3)) {
            backend = b;
            reader = r;
            backend.prepareTable(STORE).join();
            reader.prepareTable(STORE).join();

            faults.reset();
            mix("clean-" + UUID.randomUUID());
            int calls = faults.calls();
            assertEquals(List.of(), violations, "the mix without faults");
            for (int k = 0; k < KINDS.size(); k++) {
                Fault kind = KINDS.get(k);
                for (int n = FULL ? 1 : 1 + k % SAMPLE_STRIDE; n <= calls; n += FULL ? 1 : SAMPLE_STRIDE) {
                    faults.reset();
                    faults.arm(n, kind);
                    mix("sweep-" + kind + "-" + n + "-" + UUID.randomUUID());
                    runs++;
                    if (faults.armedOperation() != null) {
                        injected++;
                        hitOperations.merge(faults.armedOperation(), 1, Integer::sum);
                    }
                    faults.disarm();
                    recovers(kind, n);
                }
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            System.out.println("[reliability] dynamodb | 12 fault sweep | " + (FULL ? "full" : "sample (every "
                    + SAMPLE_STRIDE + "rd call per kind)") + ": HTTP calls per mix=" + calls + " fault kinds="
                    + KINDS.size() + " runs=" + runs + " faults injected=" + injected + " by operation=" + hitOperations
                    + " outcomes checked=" + checked + " by kind=" + outcomes + " invariant violations="
                    + violations.size() + " time=" + ms + " ms");
            assertEquals(List.of(), violations.subList(0, Math.min(20, violations.size())), "first violations");
            assertEquals(runs, injected, "every armed fault fired");
            assertTrue(runs >= (FULL ? KINDS.size() * calls : calls), "runs=" + runs);
        }
    }

    /** The mix, on keys of partition {@code pk}. */
    private void mix(String pk) {
        Key k1 = Key.of(pk, "k1");
        Key k2 = Key.of(pk, "k2");
        Key k3 = Key.of(pk, "k3");
        Key k4 = Key.of(pk, "k4");
        Key k5 = Key.of(pk, "k5");
        Key k6 = Key.of(pk, "k6");
        put(pk, "put if absent", k1, "a", Condition.ifAbsent());
        put(pk, "put", k1, "b", Condition.none());
        put(pk, "put if version", k1, "c", Condition.ifVersion(state(k1).map(RawItem::version).orElse(1L)));
        put(pk, "put if exists (missing)", k2, "x", Condition.ifExists());
        delete(pk, "delete", k1, Condition.none());
        transaction(pk, k3, k4);
        batch(pk, List.of(k5, k6), k3);
        get(pk, k4);
        delete(pk, "delete if version", k4, Condition.ifVersion(state(k4).map(RawItem::version).orElse(1L)));
    }

    private void put(String run, String what, Key key, String value, Condition condition) {
        Optional<RawItem> before = state(key);
        Outcome<Long> o = outcome(backend.put(new WriteOp.Put(STORE, key, bytes(value), null, condition)));
        Optional<RawItem> after = state(key);
        boolean holds = holds(condition, before);
        long expected = before.map(i -> i.version() + 1).orElse(1L);
        boolean written = after.isPresent() && Arrays.equals(after.get().payload(), bytes(value))
                && after.get().version() == expected;
        record(what, o.failure);
        if (o.failure == null) {
            check(run, what, holds && written && o.value == expected, before, after, "success v" + o.value);
        } else if (o.failure instanceof ConditionFailedException) {
            check(run, what, !holds && same(before, after), before, after, "condition failed");
        } else if (o.failure instanceof UnavailableException) {
            check(run, what, same(before, after), before, after, "unavailable (not written)");
        } else if (o.failure instanceof OutcomeUnknownException) {
            check(run, what, same(before, after) || written, before, after, "outcome unknown");
        } else {
            check(run, what, false, before, after, "unexpected " + o.failure);
        }
    }

    private void delete(String run, String what, Key key, Condition condition) {
        Optional<RawItem> before = state(key);
        int faultsBefore = faults.injectedTotal();
        Outcome<Boolean> o = outcome(backend.delete(new WriteOp.Delete(STORE, key, condition)));
        Optional<RawItem> after = state(key);
        boolean faultHere = faults.injectedTotal() > faultsBefore;
        record(what, o.failure);
        if (o.failure == null) {
            // true with nothing there before: only after an ambiguous attempt of this call (Store.delete).
            boolean answer = o.value == before.isPresent() || (o.value && faultHere);
            check(run, what, holds(condition, before) && after.isEmpty() && answer, before, after, "success " + o.value);
        } else if (o.failure instanceof ConditionFailedException) {
            check(run, what, !holds(condition, before) && same(before, after), before, after, "condition failed");
        } else if (o.failure instanceof UnavailableException) {
            check(run, what, same(before, after), before, after, "unavailable (not written)");
        } else if (o.failure instanceof OutcomeUnknownException) {
            check(run, what, same(before, after) || after.isEmpty(), before, after, "outcome unknown");
        } else {
            check(run, what, false, before, after, "unexpected " + o.failure);
        }
    }

    private void transaction(String run, Key a, Key b) {
        Optional<RawItem> beforeA = state(a);
        Optional<RawItem> beforeB = state(b);
        Outcome<List<Long>> o = outcome(backend.transact(List.of(
                new WriteOp.Put(STORE, a, bytes("t"), null, Condition.ifAbsent()),
                new WriteOp.Put(STORE, b, bytes("t"), null, Condition.none()))));
        Optional<RawItem> afterA = state(a);
        Optional<RawItem> afterB = state(b);
        boolean holds = beforeA.isEmpty();
        long expectedB = beforeB.map(i -> i.version() + 1).orElse(1L);
        boolean written = afterA.isPresent() && afterA.get().version() == 1 && Arrays.equals(afterA.get().payload(), bytes("t"))
                && afterB.isPresent() && afterB.get().version() == expectedB && Arrays.equals(afterB.get().payload(), bytes("t"));
        boolean unchanged = same(beforeA, afterA) && same(beforeB, afterB);
        String what = "transaction";
        record(what, o.failure);
        String states = beforeA + "/" + beforeB + " -> " + afterA + "/" + afterB;
        if (o.failure == null) {
            check(run, what, holds && written && o.value.equals(List.of(1L, expectedB)), states, "success " + o.value);
        } else if (o.failure instanceof ConditionFailedException) {
            check(run, what, !holds && unchanged, states, "condition failed");
        } else if (o.failure instanceof UnavailableException) {
            check(run, what, unchanged, states, "unavailable (not written)");
        } else if (o.failure instanceof OutcomeUnknownException) {
            check(run, what, unchanged || written, states, "outcome unknown (all or nothing)");
        } else {
            check(run, what, false, states, "unexpected " + o.failure);
        }
    }

    private void batch(String run, List<Key> puts, Key deleted) {
        Map<Key, Optional<RawItem>> before = new TreeMap<>(java.util.Comparator.comparing(Key::toString));
        puts.forEach(k -> before.put(k, state(k)));
        before.put(deleted, state(deleted));
        List<WriteOp> writes = new ArrayList<>();
        puts.forEach(k -> writes.add(new WriteOp.Put(STORE, k, bytes("bp"), null, Condition.none())));
        writes.add(new WriteOp.Delete(STORE, deleted, Condition.none()));
        Outcome<Void> o = outcome(backend.batchWrite(STORE, writes));
        String what = "batch";
        record(what, o.failure);
        Set<Key> notWritten = Set.of();
        Set<Key> inDoubt = Set.of();
        if (o.failure instanceof BatchWriteException bwe) {
            notWritten = Set.copyOf(bwe.unprocessed());
            inDoubt = Set.copyOf(bwe.inDoubt());
        } else if (o.failure instanceof UnavailableException) {
            notWritten = before.keySet();
        } else if (o.failure instanceof OutcomeUnknownException) {
            inDoubt = before.keySet();
        } else if (o.failure != null) {
            check(run, what, false, "", "unexpected " + o.failure);
            return;
        }
        for (Map.Entry<Key, Optional<RawItem>> e : before.entrySet()) {
            Key k = e.getKey();
            Optional<RawItem> after = state(k);
            boolean isDelete = k.equals(deleted);
            long expected = e.getValue().map(i -> i.version() + 1).orElse(1L);
            boolean written = isDelete ? after.isEmpty()
                    : after.isPresent() && after.get().version() == expected && Arrays.equals(after.get().payload(), bytes("bp"));
            boolean unchanged = same(e.getValue(), after);
            String label = (isDelete ? "batch delete " : "batch put ") + k.sk();
            if (notWritten.contains(k)) {
                check(run, label, unchanged, e.getValue(), after, "listed not written");
            } else if (inDoubt.contains(k)) {
                check(run, label, unchanged || written, e.getValue(), after, "listed in doubt");
            } else {
                check(run, label, written, e.getValue(), after, "reported written");
            }
        }
    }

    private void get(String run, Key key) {
        Optional<RawItem> before = state(key);
        Outcome<Optional<RawItem>> o = outcome(backend.get(STORE, key));
        record("get", o.failure);
        if (o.failure == null) {
            check(run, "get", same(before, o.value), before, o.value, "read");
        } else {
            check(run, "get", o.failure instanceof UnavailableException, before, Optional.empty(), "failed " + o.failure);
        }
    }

    /** After a run, with the fault gone: the same backend writes and reads. */
    private void recovers(Fault kind, int n) {
        Key key = Key.of("recovery-" + UUID.randomUUID(), "k");
        Outcome<Long> put = outcome(backend.put(new WriteOp.Put(STORE, key, bytes("r"), null, Condition.ifAbsent())));
        if (put.failure != null || put.value != 1 || state(key).isEmpty()) {
            violations.add("no recovery after " + kind + " on call " + n + ": " + put.failure);
        }
    }

    // ------------------------------------------------------------------ helpers

    private record Outcome<T>(T value, Throwable failure) {
    }

    private static <T> Outcome<T> outcome(CompletableFuture<T> future) {
        try {
            return new Outcome<>(future.get(120, TimeUnit.SECONDS), null);
        } catch (java.util.concurrent.ExecutionException e) {
            return new Outcome<>(null, Errors.unwrap(e.getCause()));
        } catch (Exception e) {
            throw new AssertionError("an operation hung or was interrupted", e);
        }
    }

    private Optional<RawItem> state(Key key) {
        return reader.get(STORE, key).join();
    }

    private static boolean holds(Condition c, Optional<RawItem> current) {
        if (c instanceof Condition.IfAbsent) {
            return current.isEmpty();
        }
        if (c instanceof Condition.IfExists) {
            return current.isPresent();
        }
        if (c instanceof Condition.IfVersion v) {
            return current.isPresent() && current.get().version() == v.version();
        }
        return true;
    }

    private static boolean same(Optional<RawItem> a, Optional<RawItem> b) {
        if (a.isEmpty() || b.isEmpty()) {
            return a.isEmpty() && b.isEmpty();
        }
        return a.get().version() == b.get().version() && Arrays.equals(a.get().payload(), b.get().payload());
    }

    private void record(String what, Throwable failure) {
        checked++;
        outcomes.merge(failure == null ? "success" : failure.getClass().getSimpleName(), 1, Integer::sum);
    }

    private void check(String run, String what, boolean ok, Optional<RawItem> before, Optional<RawItem> after,
                       String reported) {
        check(run, what, ok, show(before) + " -> " + show(after), reported);
    }

    private void check(String run, String what, boolean ok, String states, String reported) {
        if (!ok) {
            violations.add(run + " " + what + ": reported " + reported + ", data " + states);
        }
    }

    private static String show(Optional<RawItem> item) {
        return item.map(i -> "v" + i.version() + ":" + new String(i.payload(), StandardCharsets.UTF_8)).orElse("none");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
