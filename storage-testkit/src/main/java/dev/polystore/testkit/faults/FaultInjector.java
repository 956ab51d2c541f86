package dev.polystore.testkit.faults;

import java.util.List;

/**
 * Fails one chosen engine call with one chosen {@link FaultKind}: the hook
 * {@link FaultSweepContract} drives. An injector sits at one layer of a backend: the SPI
 * ({@link SpiFaultInjector}, a {@link dev.polystore.spi.ForwardingStorageBackend} usable over any
 * backend), a driver (JDBC statements of an embedded engine), or the HTTP client of a remote one.
 * What counts as one "engine call" is the injector's choice; it must be the same on every run of
 * the same operation on the same data, so that the sweep can count the calls of an operation
 * fault-free and then fail each of them in turn.
 *
 * <p>Implementations must be thread-safe: calls may come from any thread.
 */
public interface FaultInjector {

    /** A fault that fired. @param call the engine call it failed (1 = the first this injector saw) */
    record InjectedFault(long call, String operation, FaultKind kind) {
        @Override
        public String toString() {
            return kind.name() + " at engine call " + call + " (" + operation + ")";
        }
    }

    /** The kinds of fault this injector offers; the sweep tries every one at every call. */
    List<FaultKind> kinds();

    /** Engine calls seen so far, faulty or not. */
    long calls();

    /**
     * Arms one fault: the {@code nthCall}-th engine call from now (1 = the next one) fails with
     * {@code kind}; calls before and after it pass. Replaces a fault armed earlier and not yet
     * fired.
     *
     * @throws IllegalArgumentException if {@code nthCall} is below 1 or {@code kind} is not one of
     *                                  {@link #kinds()}
     */
    void arm(long nthCall, FaultKind kind);

    /** Removes an armed fault that has not fired; from now on every call passes. */
    void disarm();

    /** Every fault that fired, oldest first. */
    List<InjectedFault> injected();

    /**
     * The names of the engine calls seen so far, oldest first ({@code "transact"},
     * {@code "COMMIT"}, {@code "PutItem"}…), one per call counted by {@link #calls()}. A sampled
     * sweep fails at least the first and the last call of each name; an injector that does not
     * name its calls returns an empty list and is sampled by position only.
     */
    default List<String> callNames() {
        return List.of();
    }
}
