package dev.polystore.internal.domain;

import dev.polystore.UnavailableException;
import dev.polystore.internal.Futures;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Optimistic-concurrency loops: an attempt reads, then writes conditionally; when a condition
 * fails because of a concurrent writer (not because of the caller's input) the attempt asks
 * for another try by failing with {@link Retry}. Attempts are bounded and spaced by a short
 * random delay, so contending writers spread out. An operation that runs out of attempts wrote
 * nothing, and says so with the retryable {@link UnavailableException} (never with a
 * {@code ConditionFailedException}: the caller's own condition did not fail, other writers
 * were faster).
 */
final class Retries {
    private static final Logger LOG = LoggerFactory.getLogger(Retries.class);

    /** How many attempts an operation makes before giving up. */
    static final int MAX_ATTEMPTS = 40;

    private Retries() {
    }

    /** Signals that an attempt lost a race with another writer and should be repeated. */
    static final class Retry extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Retry(String why) {
            super(why, null, false, false);
        }
    }

    static <R> CompletableFuture<R> retry(String what) {
        return CompletableFuture.failedFuture(new Retry(what));
    }

    /**
     * A short random pause before attempt {@code n + 1}, growing with {@code n}, so that
     * contending writers spread out and a throttled engine gets air.
     */
    static CompletableFuture<Void> pause(int n) {
        long delayMicros = ThreadLocalRandom.current().nextLong(100, 200L * Math.min(n, 20) + 101);
        return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(delayMicros, TimeUnit.MICROSECONDS));
    }

    /**
     * Runs {@code attempt} until it does not fail with {@link Retry} or with
     * {@link UnavailableException} (which means nothing was written, so trying again is safe), at
     * most {@link #MAX_ATTEMPTS} times. Only the read-check-write part of an operation belongs in
     * {@code attempt}: once its write committed, what follows must not be retried (a retry would
     * meet the caller's own write and mistake it for a conflict).
     */
    static <R> CompletableFuture<R> withRetries(String operation, Supplier<CompletableFuture<R>> attempt) {
        return run(operation, attempt, 1);
    }

    private static <R> CompletableFuture<R> run(String operation, Supplier<CompletableFuture<R>> attempt, int n) {
        CompletableFuture<R> f;
        try {
            f = attempt.get();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.handle((value, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(value);
            }
            Throwable cause = Futures.unwrap(error);
            boolean transientFailure = cause instanceof UnavailableException;
            if (!(cause instanceof Retry) && !transientFailure) {
                return CompletableFuture.<R>failedFuture(cause);
            }
            if (n >= MAX_ATTEMPTS) {
                return CompletableFuture.<R>failedFuture(transientFailure ? cause
                        : new UnavailableException(operation + " lost to concurrent writers " + n
                        + " times in a row (" + cause.getMessage() + "); nothing was written, try again", null));
            }
            LOG.debug("{}: attempt {} failed ({}), retrying", operation, n, cause.getMessage());
            return pause(n).thenCompose(v -> run(operation, attempt, n + 1));
        }).thenCompose(x -> x);
    }
}
