package dev.polystore.testkit.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.UnavailableException;
import dev.polystore.internal.DefaultStorage;
import dev.polystore.internal.Futures;
import dev.polystore.memory.MemoryBackend;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import dev.polystore.testkit.MutableClock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * The sweep is itself tested: backends that leave a dirty state or misreport an outcome after a
 * failure must make it fail with a message that says which invariant broke, while the
 * operations their bug does not touch still pass. Each broken layer sits between the API and the
 * {@link SpiFaultInjector}, so it sees the injected faults as a backend sees its engine's.
 */
class FaultSweepCatchesBrokenBackendsTest {

    /** The sweep over {@code broken(injector over memory)}, on a few operations (run through the engine below, not by Surefire). */
    abstract static class Run extends FaultSweepContract {
        abstract StorageBackend broken(StorageBackend injected);

        @Override
        protected Subject open(Path dir, MutableClock clock) {
            SpiFaultInjector injector = new SpiFaultInjector(new MemoryBackend(clock));
            return new Subject(new DefaultStorage("memory", broken(injector), clock), injector);
        }

        @Override
        protected List<SweepOperation> operations() {
            Set<String> picked = Set.of("put", "get", "transaction", "create dialogue", "update tension status",
                    "update document (large)");
            return SweepOperations.standard().stream().filter(op -> picked.contains(op.name())).toList();
        }
    }

    /**
     * After a transaction fails, every later transaction fails too, as a cached statement the
     * driver finalized or a transaction left open would make it, until the backend is reopened.
     */
    static final class WedgedAfterFailureRun extends Run {
        @Override
        protected String backendLabel() {
            return "brokenwedged";
        }

        @Override
        StorageBackend broken(StorageBackend injected) {
            AtomicBoolean wedged = new AtomicBoolean();
            return new ForwardingStorageBackend(injected) {
                @Override
                public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
                    if (wedged.get()) {
                        return CompletableFuture.failedFuture(new UnavailableException("statement is not executing", null));
                    }
                    return delegate.transact(operations).whenComplete((v, e) -> {
                        if (e != null) {
                            wedged.set(true);
                        }
                    });
                }
            };
        }
    }

    /**
     * Transactions as a series of single writes (conditions checked first, then each write on
     * its own): a failure part-way leaves some written and is reported as "not written".
     */
    static final class HalfAppliedTransactionRun extends Run {
        @Override
        protected String backendLabel() {
            return "brokenhalftx";
        }

        @Override
        StorageBackend broken(StorageBackend injected) {
            return new ForwardingStorageBackend(injected) {
                @Override
                public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
                    // Checks first, through a transaction of the checks alone (so conditions still hold).
                    List<WriteOp> checks = operations.stream().<WriteOp>map(op -> new WriteOp.Check(op.table(), op.key(),
                            op.condition())).filter(op -> !(op.condition() instanceof dev.polystore.Condition.None)).toList();
                    CompletableFuture<?> checked = checks.isEmpty() ? CompletableFuture.completedFuture(null)
                            : delegate.transact(checks);
                    return checked.thenCompose(v -> writeEach(operations, 0, new ArrayList<>()));
                }

                private CompletableFuture<List<Long>> writeEach(List<WriteOp> ops, int i, List<Long> versions) {
                    if (i == ops.size()) {
                        return CompletableFuture.completedFuture(versions);
                    }
                    WriteOp op = ops.get(i);
                    CompletableFuture<Long> one;
                    if (op instanceof WriteOp.Put p) {
                        one = delegate.put(new WriteOp.Put(p.table(), p.key(), p.payload(), p.expiresAt(),
                                dev.polystore.Condition.none()));
                    } else if (op instanceof WriteOp.Delete d) {
                        one = delegate.delete(new WriteOp.Delete(d.table(), d.key(), dev.polystore.Condition.none()))
                                .thenApply(b -> 0L);
                    } else {
                        one = CompletableFuture.completedFuture(0L);
                    }
                    // A failed write is reported as "not written", whatever came before it.
                    return one.handle((v, e) -> {
                        if (e != null) {
                            throw new UnavailableException("write " + (i + 1) + " of " + ops.size() + " failed: "
                                    + Futures.unwrap(e).getMessage(), e);
                        }
                        versions.add(v);
                        return writeEach(ops, i + 1, versions);
                    }).thenCompose(f -> f);
                }
            };
        }
    }

    /**
     * An answer lost after the engine applied the write is classified as "not written"
     * ({@link UnavailableException}), inviting a blind retry: the 2xx-without-body bug.
     */
    static final class LostAnswerAsNotWrittenRun extends Run {
        @Override
        protected String backendLabel() {
            return "brokenlostanswer";
        }

        @Override
        StorageBackend broken(StorageBackend injected) {
            Function<Throwable, Throwable> misread = e -> Futures.unwrap(e) instanceof OutcomeUnknownException u
                    ? new UnavailableException("connection reset; not written", u) : Futures.unwrap(e);
            return new ForwardingStorageBackend(injected) {
                @Override
                public CompletableFuture<Long> put(WriteOp.Put put) {
                    return misreport(delegate.put(put));
                }

                @Override
                public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
                    return misreport(delegate.transact(operations));
                }

                private <T> CompletableFuture<T> misreport(CompletableFuture<T> f) {
                    return f.handle((v, e) -> {
                        if (e != null) {
                            throw (RuntimeException) misread.apply(e);
                        }
                        return v;
                    });
                }
            };
        }
    }

    /** Runs a sweep; returns failed operation (dynamic test display name) → message, checking how many ran. */
    private static Map<String, String> failures(Class<?> run, int expectedTests) {
        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter").selectors(selectClass(run)).execute();
        Map<String, String> failed = new TreeMap<>();
        for (Event e : results.testEvents().failed().list()) {
            failed.put(e.getTestDescriptor().getDisplayName(), e.getPayload(TestExecutionResult.class)
                    .flatMap(TestExecutionResult::getThrowable).map(String::valueOf).orElse(""));
        }
        assertEquals(expectedTests, results.testEvents().started().count(), "operations swept");
        return failed;
    }

    @Test
    @DisplayName("a backend wedged after a failed transaction fails invariant (b), next operation, on every transactional operation")
    void wedged() {
        Map<String, String> failed = failures(WedgedAfterFailureRun.class, 6);
        for (String op : List.of("transaction", "create dialogue", "update tension status", "update document (large)")) {
            assertTrue(failed.containsKey(op), op + " must fail on a wedged backend; failed: " + failed.keySet());
            assertTrue(failed.get(op).contains("the next operation on the same storage failed once the fault was gone"),
                    failed.get(op));
        }
        assertFalse(failed.containsKey("put"), "single writes do not go through transactions: " + failed.get("put"));
        assertFalse(failed.containsKey("get"), failed.get("get"));
    }

    @Test
    @DisplayName("a transaction applied half and reported as not written fails invariant (a), outcome = data")
    void halfApplied() {
        Map<String, String> failed = failures(HalfAppliedTransactionRun.class, 6);
        assertTrue(failed.containsKey("transaction"), "failed: " + failed.keySet());
        assertTrue(failed.get("transaction").contains("reported UnavailableException (nothing written), but the data changed"),
                failed.get("transaction"));
        assertTrue(failed.containsKey("update document (large)"), "failed: " + failed.keySet());
        assertFalse(failed.containsKey("put"), failed.get("put"));
        assertFalse(failed.containsKey("get"), failed.get("get"));
    }

    @Test
    @DisplayName("an answer lost after applying, reported as not written, fails invariant (a) for writes, not reads")
    void lostAnswerAsNotWritten() {
        Map<String, String> failed = failures(LostAnswerAsNotWrittenRun.class, 6);
        for (String op : List.of("put", "transaction", "create dialogue")) {
            assertTrue(failed.containsKey(op), op + " must fail; failed: " + failed.keySet());
            assertTrue(failed.get(op).contains("response lost at call 1 of 1")
                    && failed.get(op).contains("(nothing written), but the data changed"), failed.get(op));
        }
        assertFalse(failed.containsKey("get"), "a read has nothing to misreport: " + failed.get("get"));
    }

    /** The injector itself: counting, arming by position and by method, disarming. */
    @Test
    @DisplayName("the SPI injector fails exactly the armed call, once, with the kind asked for")
    void injector() {
        MutableClock clock = new MutableClock(FaultSweepContract.CLOCK_START);
        SpiFaultInjector injector = new SpiFaultInjector(new MemoryBackend(clock));
        DefaultStorage storage = new DefaultStorage("memory", injector, clock);
        var store = storage.store("t", dev.polystore.Codec.utf8());
        store.put(dev.polystore.Item.of("p", "a", "1")).join();
        long before = injector.calls();
        injector.arm(2, SpiFaultInjector.RESPONSE_LOST);
        store.put(dev.polystore.Item.of("p", "b", "1")).join();
        Throwable lost = Futures.unwrap(store.put(dev.polystore.Item.of("p", "c", "1")).handle((v, e) -> e).join());
        assertTrue(lost instanceof OutcomeUnknownException, String.valueOf(lost));
        assertEquals(Key.of("p", "c"), ((OutcomeUnknownException) lost).key().orElseThrow());
        assertTrue(store.get("p", "c").join().isPresent(), "a lost answer: the write was applied");
        store.put(dev.polystore.Item.of("p", "d", "1")).join();
        assertEquals(4, injector.calls() - before);
        assertEquals(1, injector.injected().size());
        assertEquals(before + 2, injector.injected().get(0).call());

        injector.armOn("get", 2, SpiFaultInjector.TIMED_OUT_UNSENT);
        store.put(dev.polystore.Item.of("p", "e", "1")).join();
        store.get("p", "a").join();
        Throwable read = Futures.unwrap(store.get("p", "a").handle((v, e) -> e).join());
        assertTrue(read instanceof UnavailableException, "a read that timed out is not written: " + read);
        injector.arm(1, SpiFaultInjector.REFUSED);
        injector.disarm();
        store.put(dev.polystore.Item.of("p", "f", "1")).join();
        assertEquals(2, injector.injected().size());
        storage.close();
    }
}
