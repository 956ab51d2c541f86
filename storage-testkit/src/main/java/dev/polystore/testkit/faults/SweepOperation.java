package dev.polystore.testkit.faults;

import dev.polystore.Capability;
import dev.polystore.ConditionFailedException;
import dev.polystore.NotFoundException;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One operation of the fault sweep: how to set up its data, run it, and read back what it may
 * change. The sweep runs it once fault-free (the reference: its result, the data after it and its
 * engine calls C), then once per fault at each call 1..C, each time on fresh data, and judges
 * every faulty run with {@link #verify}: the reported outcome must match the data.
 *
 * <p>An {@linkplain #observe observation} is a map of named parts read through the public API
 * (a value with its version, a document's content, a search result…), free of this case's tag
 * and of allocated ids, so that the observation of one case equals that of another case in the
 * same state. Subclass to add an operation; override {@link #verify} only for operations whose
 * outcome rules differ (a close, a batch).
 */
public abstract class SweepOperation {
    private final String name;
    private final Set<Capability> requires;

    /** The reference run of an operation: its result and the observation after it. */
    public record Reference(Object result, Map<String, Object> after) {
    }

    /** What a faulty run reported: a value, or the (unwrapped) error. */
    public record Outcome(Object value, Throwable error) {
        public boolean succeeded() {
            return error == null;
        }

        /** The outcome kind, for figures: {@code success} or the error's simple class name. */
        public String kind() {
            return error == null ? "success" : error.getClass().getSimpleName();
        }
    }

    protected SweepOperation(String name, Capability... requires) {
        this.name = Objects.requireNonNull(name, "name");
        this.requires = requires.length == 0 ? EnumSet.noneOf(Capability.class) : EnumSet.of(requires[0], requires);
    }

    public final String name() {
        return name;
    }

    /** Capabilities the operation needs; without them the sweep skips it, naming them. */
    public final Set<Capability> requires() {
        return requires;
    }

    /** Writes the data the operation needs, fault-free. Everything written here was acknowledged. */
    protected void setUp(SweepCase c) throws Exception {
    }

    /** The operation under test; runs with one fault armed. */
    protected abstract CompletableFuture<?> run(SweepCase c);

    /** Reads, fault-free, everything the operation may change (see the class comment). */
    protected abstract Map<String, Object> observe(SweepCase c) throws Exception;

    /** False for reads: then the data must be unchanged whatever the outcome, and a success must answer as the reference did. */
    protected boolean writes() {
        return true;
    }

    /** Whether the operation closes the storage (no probe or witness check on it afterwards). */
    protected boolean closesStorage() {
        return false;
    }

    /** The observation a success with {@code result} implies; by default the reference's. */
    protected Map<String, Object> afterSuccess(SweepCase c, Object result, Reference reference) {
        return reference.after();
    }

    /** {@code result} in a form comparable across cases (ids and tags removed); by default itself. */
    protected Object normalize(SweepCase c, Object result) {
        return result;
    }

    /** Checks a successful result; by default it must equal (normalized) the reference's. */
    protected void checkResult(SweepCase c, Object result, Reference reference, List<String> problems) {
        Object mine = normalize(c, result);
        if (!Objects.equals(mine, reference.result())) {
            problems.add("it succeeded with " + mine + ", but the same operation without a fault returned "
                    + reference.result());
        }
    }

    /**
     * What a caller does after {@link OutcomeUnknownException} to learn the outcome (read it
     * back, say), and checks on the exception itself (that it names the document, say).
     */
    protected void resolve(SweepCase c, OutcomeUnknownException e, List<String> problems) throws Exception {
    }

    /**
     * Consistency of the stored items beyond what {@link #observe} shows (no unfinished work,
     * index entries equal to content, no orphans). Called right after a success or a "not
     * written" failure, and after {@link #resolve} for an unknown outcome.
     */
    protected void checkClean(SweepCase c, List<String> problems) throws Exception {
    }

    /** An operation a caller would run next on the same storage; it must succeed. */
    protected void probe(SweepCase c) throws Exception {
    }

    /**
     * Judges an error that is neither {@link UnavailableException} nor
     * {@link OutcomeUnknownException} (a batch's partial failure, say). @return false if the error
     * is not one this operation may report
     */
    protected boolean verifyOtherFailure(SweepCase c, Throwable error, Map<String, Object> before,
                                         Reference reference, List<String> problems) throws Exception {
        return false;
    }

    /**
     * Checks invariant (a), the reported outcome against the data:
     * <ul>
     *   <li>success: the data is as the success says (and complete: {@link #checkClean});</li>
     *   <li>{@link UnavailableException} (not written): the data is unchanged;</li>
     *   <li>{@link OutcomeUnknownException}: a write only; each part of the data is either as
     *       before or as after; once the caller {@linkplain #resolve resolved} it, the whole is
     *       one or the other, and clean;</li>
     *   <li>anything else: a problem (no other writer runs, so a condition failure is false; a
     *       non-{@link StoreException} is untyped).</li>
     * </ul>
     */
    protected void verify(SweepCase c, Outcome outcome, Map<String, Object> before, Reference reference,
                          List<String> problems) throws Exception {
        Throwable e = outcome.error();
        if (e == null) {
            checkClean(c, problems);
            Map<String, Object> seen = observe(c);
            Map<String, Object> expected = writes() ? afterSuccess(c, outcome.value(), reference) : before;
            if (!seen.equals(expected)) {
                problems.add("it reported success, but the data differs from what that success means: "
                        + difference(expected, seen));
            }
            checkResult(c, outcome.value(), reference, problems);
            return;
        }
        if (e instanceof OutcomeUnknownException unknown) {
            if (!writes()) {
                problems.add("a read reported " + e + "; a read has no outcome to be unsure of: report "
                        + "UnavailableException");
            }
            Map<String, Object> seen = observe(c);
            for (String part : union(before, reference.after())) {
                Object now = seen.get(part);
                if (!Objects.equals(now, before.get(part)) && !Objects.equals(now, reference.after().get(part))) {
                    problems.add("it reported OutcomeUnknownException, and '" + part + "' is neither as before ("
                            + before.get(part) + ") nor as after (" + reference.after().get(part) + "): " + now);
                }
            }
            resolve(c, unknown, problems);
            Map<String, Object> resolved = observe(c);
            if (!resolved.equals(before) && !resolved.equals(reference.after())) {
                problems.add("it reported OutcomeUnknownException, and once read back the data is neither the "
                        + "state before nor the state after: against before " + difference(before, resolved)
                        + "; against after " + difference(reference.after(), resolved));
            }
            checkClean(c, problems);
            return;
        }
        if (e instanceof UnavailableException) {
            checkClean(c, problems);
            Map<String, Object> seen = observe(c);
            if (!seen.equals(before)) {
                problems.add("it reported " + e.getClass().getSimpleName() + " (nothing written), but the data "
                        + "changed: " + difference(before, seen));
            }
            return;
        }
        if (verifyOtherFailure(c, e, before, reference, problems)) {
            return;
        }
        if (e instanceof ConditionFailedException) {
            problems.add("a false ConditionFailedException (no other writer ran: a condition can only have failed "
                    + "against the operation's own earlier attempt): " + e);
        } else if (e instanceof NotFoundException || e instanceof ValidationException) {
            problems.add("a false " + e.getClass().getSimpleName() + " (the data exists and the input is valid): " + e);
        } else if (e instanceof StoreException) {
            problems.add("an error that says neither \"not written\" nor \"outcome unknown\": " + e);
        } else {
            problems.add("an untyped error (not a StoreException): " + e);
        }
    }

    private static Set<String> union(Map<String, Object> a, Map<String, Object> b) {
        Set<String> keys = new LinkedHashSet<>(a.keySet());
        keys.addAll(b.keySet());
        return keys;
    }

    /** The parts in which {@code found} differs from {@code expected}, for messages. */
    public static String difference(Map<String, Object> expected, Map<String, Object> found) {
        List<String> out = new ArrayList<>();
        for (String part : union(expected, found)) {
            if (!Objects.equals(expected.get(part), found.get(part))) {
                out.add("'" + part + "' expected " + expected.get(part) + " but found " + found.get(part));
            }
        }
        return out.isEmpty() ? "(no difference)" : String.join("; ", out);
    }

    @Override
    public String toString() {
        return name;
    }
}
