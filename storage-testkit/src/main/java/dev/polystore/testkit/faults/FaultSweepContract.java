package dev.polystore.testkit.faults;

import static dev.polystore.testkit.faults.SweepOperations.await;

import dev.polystore.Capability;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import dev.polystore.testkit.MutableClock;
import dev.polystore.testkit.reliability.ReliabilityContract;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Systematic fault injection (the way SQLite's own suite fails every I/O call in turn): for each
 * operation of a representative mix ({@link SweepOperations#standard()}: single and conditional
 * writes, reads, paged queries, batches, a transaction, close, and the dialogue and document
 * stores' operations), the sweep
 * <ol>
 *   <li>runs it once without fault and counts its engine calls C (through the
 *       {@link FaultInjector});</li>
 *   <li>for every N in 1..C and every {@link FaultInjector#kinds() kind} of fault: on fresh data,
 *       arms the fault at the N-th call, runs the operation, disarms, and checks three
 *       invariants:
 *       <ol type="a">
 *         <li>the outcome reported matches what the engine holds ({@link SweepOperation#verify}:
 *             success means the data is there as reported, "not written" means unchanged,
 *             "outcome unknown" means either, consistently, and completed once read back; never
 *             a false condition failure, never an untyped error, never a hang);</li>
 *         <li>the next operation on the same storage succeeds once the fault is gone (a put and a
 *             get, a transaction, and an operation of the same domain store);</li>
 *         <li>nothing acknowledged earlier is lost (a witness item written before the case, and
 *             the operation's own set-up, which every observation includes).</li>
 *       </ol></li>
 * </ol>
 * One dynamic test per operation fails with every violation it found; each prints a line of
 * figures tagged {@code [reliability]}, and a last line sums them up (faults injected, invariant
 * violations).
 *
 * <p><b>Implementors must provide</b> {@link #open(Path, MutableClock)}: a fresh storage whose
 * engine calls pass through a {@link FaultInjector}. The SPI-level {@link SpiFaultInjector} fits
 * every backend ({@link #openThroughSpi(StorageConfig)} builds one from a configuration); a
 * backend module adds an injector at its driver or HTTP layer, where faults are the engine's own.
 *
 * <p><b>Implementors may override</b> {@link #persistent()} (whether data survives close, for
 * the close operation), {@link #operations()} (the mix: add a backend's own operations),
 * {@link #fullSweep()} and {@link #sampledPositions()} (how many calls of each operation are
 * failed in an everyday build), {@link #backendLabel()}.
 *
 * <p><b>Sizes.</b> With {@value #SCALE_PROPERTY} = 1 (the default, {@code mvn verify}) each
 * operation's calls are sampled: the first and the last call of each kind the injector names
 * ({@link FaultInjector#callNames()}), and {@link #sampledPositions()} evenly spaced ones; with a
 * scale above 1 (the long profile) every call is failed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class FaultSweepContract {
    /** The system property scaling the reliability suites; above 1 the sweep fails every call. */
    public static final String SCALE_PROPERTY = ReliabilityContract.SCALE_PROPERTY;
    /** The instant every case's clock starts at, so that cases compare equal. */
    public static final Instant CLOCK_START = Instant.parse("2026-01-01T00:00:00Z");
    static final String TAG = "[reliability]";

    /** A storage under test and the injector its engine calls pass through. */
    public record Subject(Storage storage, FaultInjector injector) {
        public Subject {
            Objects.requireNonNull(storage, "storage");
            Objects.requireNonNull(injector, "injector");
        }
    }

    @TempDir
    protected Path tempDir;

    private final Map<String, Figures> figures = new LinkedHashMap<>();
    private String label;
    private int caseNumber;

    /**
     * Opens a storage on {@code dir} whose engine calls pass through a {@link FaultInjector}, with
     * {@code clock} deciding expiry and dates. The first open of a directory sees an empty
     * engine, or at least no key this sweep writes (every case uses names unique to it); a later
     * open of the same directory, after the first storage was closed, sees what it left if the
     * backend is {@link #persistent()}.
     */
    protected abstract Subject open(Path dir, MutableClock clock) throws Exception;

    /** Whether a storage reopened on the same directory sees what a closed one wrote. */
    protected boolean persistent() {
        return false;
    }

    /** The operations swept; by default {@link SweepOperations#standard()}. */
    protected List<SweepOperation> operations() {
        return SweepOperations.standard();
    }

    /** The multiplier from {@value #SCALE_PROPERTY}, at least 1. */
    protected int scale() {
        String value = System.getProperty(SCALE_PROPERTY, "1").trim();
        try {
            int n = Integer.parseInt(value);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(SCALE_PROPERTY + " must be a whole number >= 1, got '" + value + "'", e);
        }
        throw new IllegalArgumentException(SCALE_PROPERTY + " must be a whole number >= 1, got '" + value + "'");
    }

    /** Whether every call of every operation is failed; by default when {@link #scale()} is above 1. */
    protected boolean fullSweep() {
        return scale() > 1;
    }

    /**
     * In a sampled sweep, how many evenly spaced calls of each operation are failed (each with
     * every kind), besides the first and last call of each name.
     */
    protected int sampledPositions() {
        return 4;
    }

    /** The backend's name in the figures; by default the storage's {@code backend()}. */
    protected String backendLabel() {
        return label;
    }

    /**
     * A storage over the backend {@code config} names, with a {@link SpiFaultInjector} between the
     * API and the backend: for subclasses whose injector is the SPI-level one.
     */
    protected static Subject openThroughSpi(StorageConfig config) {
        SpiFaultInjector[] injector = new SpiFaultInjector[1];
        Storage storage = StoreFactory.open(config, backend -> injector[0] = new SpiFaultInjector(backend));
        return new Subject(storage, injector[0]);
    }

    /**
     * The positions (1-based engine calls) failed for an operation of {@code calls} calls named
     * {@code names} (empty if the injector does not name them): all of them in a full sweep;
     * else the first and the last call of each name, and {@link #sampledPositions()} evenly
     * spaced ones (the first and the last call among them).
     */
    List<Long> positions(long calls, List<String> names) {
        if (fullSweep() || calls <= sampledPositions()) {
            return LongStream.rangeClosed(1, calls).boxed().toList();
        }
        TreeSet<Long> picked = new TreeSet<>();
        if (names.size() == calls) {
            Map<String, long[]> firstAndLast = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                long position = i + 1;
                firstAndLast.computeIfAbsent(names.get(i), k -> new long[] {position, position})[1] = position;
            }
            firstAndLast.values().forEach(fl -> {
                picked.add(fl[0]);
                picked.add(fl[1]);
            });
        }
        int k = Math.max(2, sampledPositions());
        for (int i = 0; i < k; i++) {
            picked.add(1 + Math.round((double) i * (calls - 1) / (k - 1)));
        }
        return List.copyOf(picked);
    }

    @TestFactory
    @DisplayName("fault sweep: each engine call of each operation fails in turn; outcome = data, recovery, nothing lost")
    Stream<DynamicTest> sweep() {
        return operations().stream().map(op -> DynamicTest.dynamicTest(op.name(), () -> sweep(op)));
    }

    private Path nextDir() throws Exception {
        return Files.createDirectories(tempDir.resolve("case-" + (++caseNumber)));
    }

    private SweepCase newCase(Subject subject, Path dir, MutableClock clock) {
        String tag = "f" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        return new SweepCase(subject.storage(), subject.injector(), tag, persistent() ? () -> {
            try {
                return open(dir, clock).storage();
            } catch (Exception e) {
                throw new IllegalStateException("reopening the storage failed: " + e, e);
            }
        } : null);
    }

    private void sweep(SweepOperation op) throws Exception {
        Figures f = new Figures(op.name());
        List<String> violations = new ArrayList<>();
        boolean ran = false;
        try {
            // 1. The reference: the operation without fault, its result, the data after it, its calls.
            MutableClock clock = new MutableClock(CLOCK_START);
            Path dir = nextDir();
            Subject subject = open(dir, clock);
            SweepCase ref = newCase(subject, dir, clock);
            SweepOperation.Reference reference;
            long calls;
            List<String> names;
            try {
                label = label == null ? subject.storage().backend() : label;
                for (Capability needed : op.requires()) {
                    Assumptions.assumeTrue(subject.storage().capabilities().has(needed), () -> "backend '"
                            + subject.storage().backend() + "' does not declare capability " + needed + ", which "
                            + op.name() + " needs");
                }
                witness(ref);
                op.setUp(ref);
                op.observe(ref);
                long mark = subject.injector().calls();
                Object result = await(op.run(ref));
                calls = subject.injector().calls() - mark;
                List<String> all = subject.injector().callNames();
                names = all.size() >= mark + calls ? all.subList((int) mark, (int) (mark + calls)) : List.of();
                reference = new SweepOperation.Reference(op.normalize(ref, result), op.observe(ref));
            } finally {
                ref.storage().close();
            }
            ran = true;
            figures.put(op.name(), f);
            f.calls = calls;
            // 2. Every fault at every (sampled) call.
            for (long n : positions(calls, names)) {
                f.positions++;
                for (FaultKind kind : subject.injector().kinds()) {
                    runCase(op, reference, calls, n, kind, f, violations);
                }
            }
        } finally {
            f.violations = violations.size();
            if (ran) {
                print(f.line(backendLabel(), "fault sweep: " + op.name()));
            }
        }
        if (!violations.isEmpty()) {
            throw new AssertionError(violations.size() + " invariant violations in " + f.cases + " cases of '" + op.name()
                    + "':\n  " + violations.stream().limit(20).collect(Collectors.joining("\n  "))
                    + (violations.size() > 20 ? "\n  … and " + (violations.size() - 20) + " more" : ""));
        }
    }

    private void runCase(SweepOperation op, SweepOperation.Reference reference, long calls, long n, FaultKind kind,
                         Figures f, List<String> violations) throws Exception {
        f.cases++;
        MutableClock clock = new MutableClock(CLOCK_START);
        Path dir = nextDir();
        Subject subject = open(dir, clock);
        SweepCase c = newCase(subject, dir, clock);
        List<String> problems = new ArrayList<>();
        String where = kind.name() + " at call " + n + " of " + calls;
        String outcomeKind = "not run";
        try {
            witness(c);
            op.setUp(c);
            Map<String, Object> before = op.observe(c);
            int firedBefore = subject.injector().injected().size();
            subject.injector().arm(n, kind);
            SweepOperation.Outcome outcome;
            try {
                outcome = CoreOperations.outcome(op.run(c));
            } catch (RuntimeException thrown) {
                outcome = new SweepOperation.Outcome(null, thrown);
                problems.add("the operation threw instead of failing its future: " + thrown);
            } finally {
                subject.injector().disarm();
            }
            List<FaultInjector.InjectedFault> fired = subject.injector().injected();
            if (fired.size() > firedBefore) {
                f.injected++;
                f.byKind.merge(kind.name(), 1, Integer::sum);
                where = kind.name() + " at call " + n + " of " + calls + " (" + fired.get(fired.size() - 1).operation() + ")";
            } else {
                f.notFired++;
                where = kind.name() + " at call " + n + " of " + calls + " (did not fire: the run made fewer calls)";
            }
            outcomeKind = outcome.kind();
            f.outcomes.merge(outcomeKind, 1, Integer::sum);
            op.verify(c, outcome, before, reference, problems);
            if (!op.closesStorage()) {
                nextOperation(c, op, problems);
                checkWitness(c, problems);
            }
        } catch (Throwable t) {
            problems.add("the case could not be completed: " + t);
        } finally {
            c.tolerated().forEach((k, v) -> f.tolerated.merge(k, v, Integer::sum));
            try {
                c.storage().close();
            } catch (RuntimeException e) {
                problems.add("closing the storage after the case threw " + e);
            }
        }
        for (String p : problems) {
            violations.add(op.name() + " | " + where + " | reported " + outcomeKind + " | " + p);
        }
    }

    /** Invariant (b): the next operation on the same storage succeeds once the fault is gone. */
    private void nextOperation(SweepCase c, SweepOperation op, List<String> problems) {
        try {
            Store<String> core = c.core();
            await(core.put(Item.of(c.pk("next"), "k", "after the fault")));
            String read = CoreOperations.read(c, core, c.pk("next"), "k");
            if (!read.equals("after the fault@v1")) {
                problems.add("the next put was acknowledged, but reads back as " + read);
            }
            if (c.storage().capabilities().has(Capability.TRANSACTIONS)) {
                await(c.storage().transaction().put(core, Item.of(c.pk("next"), "t1", "x"))
                        .put(c.other(), Item.of(c.pk("next"), "t2", "y")).commit());
                String t1 = CoreOperations.read(c, core, c.pk("next"), "t1");
                String t2 = CoreOperations.read(c, c.other(), c.pk("next"), "t2");
                if (!t1.equals("x@v1") || !t2.equals("y@v1")) {
                    problems.add("the next transaction was acknowledged, but reads back as " + t1 + ", " + t2);
                }
            }
        } catch (RuntimeException e) {
            problems.add("the next operation on the same storage failed once the fault was gone: " + e.getMessage());
        }
        try {
            op.probe(c);
        } catch (Exception e) {
            problems.add("the next operation of the same kind failed once the fault was gone: " + e.getMessage());
        }
    }

    private static void witness(SweepCase c) {
        await(c.core().put(Item.of(c.pk("witness"), "w", "acknowledged")));
    }

    /** Invariant (c): what was acknowledged before the case is still there. */
    private static void checkWitness(SweepCase c, List<String> problems) {
        try {
            String w = CoreOperations.read(c, c.core(), c.pk("witness"), "w");
            if (!w.equals("acknowledged@v1")) {
                problems.add("a write acknowledged before the fault is lost or changed: " + w);
            }
        } catch (RuntimeException e) {
            problems.add("reading a write acknowledged before the fault failed: " + e.getMessage());
        }
    }

    /** Prints the sum of every operation's figures. */
    @AfterAll
    void printTotals() {
        if (figures.isEmpty()) {
            return;
        }
        Figures total = new Figures("total");
        for (Figures f : figures.values()) {
            total.calls += f.calls;
            total.positions += f.positions;
            total.cases += f.cases;
            total.injected += f.injected;
            total.notFired += f.notFired;
            total.violations += f.violations;
            f.byKind.forEach((k, v) -> total.byKind.merge(k, v, Integer::sum));
            f.outcomes.forEach((k, v) -> total.outcomes.merge(k, v, Integer::sum));
            f.tolerated.forEach((k, v) -> total.tolerated.merge(k, v, Integer::sum));
        }
        Map<String, Object> head = new LinkedHashMap<>();
        head.put("operations", figures.size());
        head.put("mode", fullSweep() ? "full" : "sampled (first and last call of each name, " + sampledPositions()
                + " spaced)");
        print(total.line(backendLabel(), "fault sweep", head));
    }

    private static void print(String line) {
        PrintStream out = System.out;
        out.println(line);
        out.flush();
    }

    /** One operation's figures. */
    static final class Figures {
        final String operation;
        long calls;
        int positions;
        int cases;
        int injected;
        int notFired;
        int violations;
        final Map<String, Integer> byKind = new TreeMap<>();
        final Map<String, Integer> outcomes = new TreeMap<>();
        final Map<String, Integer> tolerated = new TreeMap<>();

        Figures(String operation) {
            this.operation = operation;
        }

        String line(String backend, String test) {
            return line(backend, test, Map.of());
        }

        String line(String backend, String test, Map<String, Object> head) {
            StringJoiner j = new StringJoiner(" ");
            head.forEach((k, v) -> j.add(k + "=" + v));
            j.add("engine calls=" + calls).add("calls failed=" + positions).add("cases=" + cases)
                    .add("faults injected=" + injected).add("by kind=" + byKind).add("not fired=" + notFired)
                    .add("outcomes=" + outcomes);
            if (!tolerated.isEmpty()) {
                j.add("tolerated=" + tolerated);
            }
            j.add("invariant violations=" + violations);
            return TAG + " " + backend + " | " + test + " | " + j;
        }
    }
}
