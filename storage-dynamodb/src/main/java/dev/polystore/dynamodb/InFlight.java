package dev.polystore.dynamodb;

import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The backend's calls in flight, so that {@code close()} can drain them: it stops admitting new
 * calls, waits (at most a grace period) until every admitted one has completed — later rounds of
 * a call already admitted (transaction rounds, batch retries, query pages) still run — and then
 * fails whatever is left with the kind its state allows: a read, or a write none of whose HTTP
 * attempts was ever sent, with {@link UnavailableException}; a write that may have reached
 * DynamoDB with {@link OutcomeUnknownException}.
 *
 * <p>A call counts as in flight until the future handed to its caller has completed <em>and</em>
 * every stage the caller chained to it without an executor has run, so that when
 * {@link #awaitDrained} returns true, every result is visible to the caller. Thread-safe.
 */
final class InFlight {
    /** One admitted call: what it is, its caller's future and the HTTP attempt logs of its writes. */
    static final class Call {
        private final String what;
        private final Key key;
        private final boolean write;
        /** Made of other admitted calls, whose outcomes make its own: cut off after them. */
        private final boolean composite;
        private final CompletableFuture<?> result;
        private final List<AttemptLog> logs = new CopyOnWriteArrayList<>();
        /** Set when close gives up on this call: from then on it sends no new request. */
        private volatile boolean cutOff;

        private Call(String what, Key key, boolean write, boolean composite, CompletableFuture<?> result) {
            this.what = what;
            this.key = key;
            this.write = write;
            this.composite = composite;
            this.result = result;
        }

        /**
         * A fresh attempt log for one SDK request of this call, kept to judge it if it is cut off
         * at close. Every request of a call is built with one, so this is also where a call that
         * was cut off (and reported) stops: no request is sent after its answer was given.
         *
         * @throws UnavailableException if close has given up on this call
         */
        AttemptLog newLog() {
            AttemptLog log = new AttemptLog();
            logs.add(log);
            if (cutOff) {
                // Either cutOff() sees this log (with no attempt: not sent) or we see its flag.
                throw new UnavailableException("the dynamodb backend was closed before " + what + " could send "
                        + "its next request", null);
            }
            return log;
        }

        /** The failure this call gets when close gives up on it; it sends nothing more. */
        StoreException cutOff(Duration grace) {
            cutOff = true;
            boolean sent = false;
            for (AttemptLog log : logs) {
                sent |= log.mayHaveApplied(); // abandons attempts still waiting, so they are never sent
            }
            String waited = "the dynamodb backend was closed, and DynamoDB had not answered " + what + " within "
                    + "storage.dynamodb.close_grace_ms = " + grace.toMillis() + " ms";
            if (write && sent) {
                return new OutcomeUnknownException(waited + "; the request was sent, so it may or may not have been "
                        + "applied. Read the item to learn its state", key, null);
            }
            return new UnavailableException(waited + (write ? "; nothing was sent, so nothing was written" : "")
                    + ". Retry on an open storage", null);
        }
    }

    private static final long CLOSED = 1L << 62;
    /** Set on a thread while it completes a call's future, so that close() from a callback does not wait for itself. */
    private static final ThreadLocal<Boolean> COMPLETING = new ThreadLocal<>();

    /** The CLOSED bit, and the number of admitted calls not yet finished. */
    private final AtomicLong state = new AtomicLong();
    private final Set<Call> calls = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private final String backend;

    InFlight(String backend) {
        this.backend = backend;
    }

    /**
     * Runs {@code body} as an admitted call, or fails at once with {@link UnavailableException}
     * once closing has begun. Never throws: a throwing body becomes a failed future.
     */
    <T> CompletableFuture<T> run(String what, Key key, boolean write, Function<Call, CompletableFuture<T>> body) {
        return run(what, key, write, false, body);
    }

    /**
     * Like {@link #run}, for a call whose outcome is made of other admitted calls (a batch of
     * single writes): at close it is cut off only after them, so their failures make up its
     * answer (which keys were not written, which are in doubt) wherever they can.
     */
    <T> CompletableFuture<T> runComposite(String what, boolean write, Function<Call, CompletableFuture<T>> body) {
        return run(what, null, write, true, body);
    }

    private <T> CompletableFuture<T> run(String what, Key key, boolean write, boolean composite,
                                         Function<Call, CompletableFuture<T>> body) {
        if (!enter()) {
            return CompletableFuture.failedFuture(closed());
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        Call call = new Call(what, key, write, composite, result);
        calls.add(call);
        CompletableFuture<T> started;
        try {
            started = body.apply(call);
        } catch (RuntimeException e) {
            started = CompletableFuture.failedFuture(e);
        }
        started.whenComplete((v, e) -> {
            COMPLETING.set(Boolean.TRUE);
            try {
                if (e == null) {
                    result.complete(v);
                } else {
                    result.completeExceptionally(Errors.unwrap(e));
                }
            } finally {
                COMPLETING.remove();
                calls.remove(call);
                exit();
            }
        });
        return result;
    }

    /** Whether closing has begun. */
    boolean isClosed() {
        return (state.get() & CLOSED) != 0;
    }

    /** Stops admitting calls. @return false if closing had already begun */
    boolean shut() {
        while (true) {
            long s = state.get();
            if ((s & CLOSED) != 0) {
                return false;
            }
            if (state.compareAndSet(s, s | CLOSED)) {
                if (s == 0) {
                    drained.complete(null);
                }
                return true;
            }
        }
    }

    /** Whether the current thread is completing one of this backend's calls (a caller's callback runs on it). */
    static boolean onCompletingThread() {
        return COMPLETING.get() != null;
    }

    /**
     * Waits until every admitted call has finished, at most {@code grace}. Call after {@link #shut()}.
     *
     * @return true if none is left
     */
    boolean awaitDrained(Duration grace) {
        try {
            drained.get(grace.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return drained.isDone();
        } catch (java.util.concurrent.ExecutionException e) {
            return true; // never completed exceptionally
        }
    }

    /** Fails every call still in flight (after the grace period); returns how many there were. */
    int cutOffRemaining(Duration grace) {
        int n = 0;
        // Parts first: a composite call whose parts all end then completes with their outcomes.
        for (boolean composites : new boolean[] {false, true}) {
            for (Call call : calls) {
                if (call.composite == composites) {
                    n += cutOff(call, grace);
                }
            }
        }
        return n;
    }

    private static int cutOff(Call call, Duration grace) {
        if (call.result.isDone()) {
            return 0;
        }
        StoreException failure = call.cutOff(grace);
        COMPLETING.set(Boolean.TRUE);
        try {
            return call.result.completeExceptionally(failure) ? 1 : 0;
        } finally {
            COMPLETING.remove();
        }
    }

    /** Calls admitted and not yet finished. */
    int pending() {
        return (int) (state.get() & ~CLOSED);
    }

    private boolean enter() {
        while (true) {
            long s = state.get();
            if ((s & CLOSED) != 0) {
                return false;
            }
            if (state.compareAndSet(s, s + 1)) {
                return true;
            }
        }
    }

    private void exit() {
        long s = state.decrementAndGet();
        if (s == CLOSED) {
            drained.complete(null);
        }
    }

    private UnavailableException closed() {
        return new UnavailableException("the " + backend + " backend is closed", null);
    }
}
