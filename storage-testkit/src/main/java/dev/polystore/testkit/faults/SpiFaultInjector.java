package dev.polystore.testkit.faults;

import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.UnavailableException;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A {@link FaultInjector} at the SPI: a {@link ForwardingStorageBackend} over any backend that
 * counts every SPI call ({@code prepareTable}, {@code get}, {@code put}, {@code delete},
 * {@code query}, {@code batchGet}, {@code batchWrite}, {@code transact}, {@code health},
 * {@code close}) and fails the armed one, before or after delegating it. Engine-neutral: what
 * it stages is what a correct backend reports for a fault below it, so it tests the layers
 * above the SPI (the API and the domain stores) on every backend, and, placed under a layer,
 * that layer.
 *
 * <p>Kinds:
 * <ul>
 *   <li>{@link #REFUSED}: not delegated; {@link UnavailableException} (nothing applied);</li>
 *   <li>{@link #RESPONSE_LOST}: delegated and applied, then the answer is lost:
 *       {@link OutcomeUnknownException} for a write, {@link UnavailableException} for a read
 *       (a read changes nothing);</li>
 *   <li>{@link #TIMED_OUT_UNSENT}: not delegated, but reported as a client that timed out
 *       cannot tell: {@link OutcomeUnknownException} for a write (it was not applied),
 *       {@link UnavailableException} for a read.</li>
 * </ul>
 * A fault of any kind on {@code close} delegates it (so the backend still finishes or fails its
 * pending operations, as the SPI requires) and then throws {@link UnavailableException}: a
 * backend whose release reported an error, which the API layer must absorb.
 *
 * <p>Besides {@link #arm(long, FaultKind)} ("the n-th call from now"), {@link #armOn(String, int,
 * FaultKind)} arms the n-th call of one SPI method, for targeted tests. Thread-safe.
 */
public class SpiFaultInjector extends ForwardingStorageBackend implements FaultInjector {
    /** Fails the call before it reaches the backend: nothing applied, reported as not written. */
    public static final FaultKind REFUSED = new FaultKind("refused", FaultKind.Effect.NOT_APPLIED,
            "fails before reaching the backend with UnavailableException: nothing was applied");
    /** The backend applies the call; its answer is lost. */
    public static final FaultKind RESPONSE_LOST = new FaultKind("response lost", FaultKind.Effect.APPLIED,
            "the backend applies the call, then its answer is lost: OutcomeUnknownException for a write, "
                    + "UnavailableException for a read");
    /** Fails the call before it reaches the backend, reported as a timeout the client cannot resolve. */
    public static final FaultKind TIMED_OUT_UNSENT = new FaultKind("timed out unsent", FaultKind.Effect.NOT_APPLIED,
            "fails before reaching the backend, reported as a timeout the client cannot tell from a lost answer: "
                    + "OutcomeUnknownException for a write, UnavailableException for a read");

    private static final List<FaultKind> KINDS = List.of(REFUSED, RESPONSE_LOST, TIMED_OUT_UNSENT);

    private long calls;
    private Armed armed;
    private final List<InjectedFault> injected = new ArrayList<>();
    private final List<String> names = new ArrayList<>();

    /** A fault waiting for its call: call number {@code atCall}, or the {@code nth} call of {@code method}. */
    private static final class Armed {
        final long atCall;
        final String method;
        final int nth;
        final FaultKind kind;
        int seen;

        Armed(long atCall, String method, int nth, FaultKind kind) {
            this.atCall = atCall;
            this.method = method;
            this.nth = nth;
            this.kind = kind;
        }
    }

    public SpiFaultInjector(StorageBackend delegate) {
        super(delegate);
    }

    @Override
    public List<FaultKind> kinds() {
        return KINDS;
    }

    @Override
    public synchronized long calls() {
        return calls;
    }

    @Override
    public synchronized void arm(long nthCall, FaultKind kind) {
        if (nthCall < 1) {
            throw new IllegalArgumentException("nthCall must be 1 or more, got " + nthCall);
        }
        armed = new Armed(calls + nthCall, null, 0, requireKind(kind));
    }

    /**
     * Arms one fault on the {@code nth} call (1 = the next) of SPI method {@code method} (e.g.
     * {@code "transact"}) from now on.
     */
    public synchronized void armOn(String method, int nth, FaultKind kind) {
        Objects.requireNonNull(method, "method");
        if (nth < 1) {
            throw new IllegalArgumentException("nth must be 1 or more, got " + nth);
        }
        armed = new Armed(-1, method, nth, requireKind(kind));
    }

    private FaultKind requireKind(FaultKind kind) {
        if (!kinds().contains(kind)) {
            throw new IllegalArgumentException("fault kind " + kind + " is not one of " + kinds());
        }
        return kind;
    }

    @Override
    public synchronized void disarm() {
        armed = null;
    }

    @Override
    public synchronized List<InjectedFault> injected() {
        return List.copyOf(injected);
    }

    @Override
    public synchronized List<String> callNames() {
        return List.copyOf(names);
    }

    /** Counts a call and says whether the armed fault fires on it (and disarms it if so). */
    private synchronized FaultKind decide(String method) {
        calls++;
        names.add(method);
        Armed a = armed;
        if (a == null) {
            return null;
        }
        boolean hit = a.method == null ? calls == a.atCall : a.method.equals(method) && ++a.seen == a.nth;
        if (!hit) {
            return null;
        }
        armed = null;
        injected.add(new InjectedFault(calls, method, a.kind));
        return a.kind;
    }

    private <T> CompletableFuture<T> call(String method, boolean write, Key key, Supplier<CompletableFuture<T>> forward) {
        FaultKind kind = decide(method);
        if (kind == null) {
            return forward.get();
        }
        if (kind == RESPONSE_LOST) {
            CompletableFuture<T> applied;
            try {
                applied = forward.get();
            } catch (RuntimeException e) {
                applied = CompletableFuture.failedFuture(e);
            }
            // Whatever the backend answered (a success, a failed condition), the caller never hears it.
            return applied.handle((v, e) -> {
                throw write ? new OutcomeUnknownException("injected fault: the answer to " + method
                        + " was lost after the backend applied it", key, e)
                        : new UnavailableException("injected fault: the answer to " + method + " was lost", e);
            });
        }
        if (kind == TIMED_OUT_UNSENT && write) {
            return CompletableFuture.failedFuture(new OutcomeUnknownException("injected fault: " + method
                    + " timed out before an answer (it never reached the backend)", key, null));
        }
        return CompletableFuture.failedFuture(new UnavailableException("injected fault: " + method
                + " refused before reaching the backend; nothing was applied", null));
    }

    @Override
    public CompletableFuture<Void> prepareTable(String table) {
        return call("prepareTable", false, null, () -> delegate.prepareTable(table));
    }

    @Override
    public CompletableFuture<Optional<RawItem>> get(String table, Key key) {
        return call("get", false, key, () -> delegate.get(table, key));
    }

    @Override
    public CompletableFuture<Long> put(WriteOp.Put put) {
        return call("put", true, put.key(), () -> delegate.put(put));
    }

    @Override
    public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
        return call("delete", true, delete.key(), () -> delegate.delete(delete));
    }

    @Override
    public CompletableFuture<RawPage> query(QuerySpec query) {
        return call("query", false, null, () -> delegate.query(query));
    }

    @Override
    public CompletableFuture<List<RawItem>> batchGet(String table, List<Key> keys) {
        return call("batchGet", false, null, () -> delegate.batchGet(table, keys));
    }

    @Override
    public CompletableFuture<Void> batchWrite(String table, List<WriteOp> writes) {
        return call("batchWrite", true, null, () -> delegate.batchWrite(table, writes));
    }

    @Override
    public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
        return call("transact", true, null, () -> delegate.transact(operations));
    }

    @Override
    public CompletableFuture<Health> health() {
        return call("health", false, null, delegate::health);
    }

    @Override
    public void close() {
        FaultKind kind = decide("close");
        delegate.close();
        if (kind != null) {
            throw new UnavailableException("injected fault: releasing the backend failed (" + kind.name() + ")", null);
        }
    }
}
