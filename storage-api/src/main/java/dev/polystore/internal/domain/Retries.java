package dev.polystore.internal.domain;

import dev.polystore.ConditionFailedException;
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
 * random delay, so contending writers spread out.
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

    /** Runs {@code attempt} until it does not fail with {@link Retry}, at most {@link #MAX_ATTEMPTS} times. */
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
            if (!(cause instanceof Retry)) {
                return CompletableFuture.<R>failedFuture(cause);
            }
            if (n >= MAX_ATTEMPTS) {
                return CompletableFuture.<R>failedFuture(new ConditionFailedException(operation + " lost to concurrent "
                        + "writers " + n + " times in a row (" + cause.getMessage() + "); try again", null));
            }
            LOG.debug("{}: attempt {} lost a race ({}), retrying", operation, n, cause.getMessage());
            long delayMicros = ThreadLocalRandom.current().nextLong(100, 200L * Math.min(n, 20) + 101);
            return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(delayMicros, TimeUnit.MICROSECONDS))
                    .thenCompose(v -> run(operation, attempt, n + 1));
        }).thenCompose(x -> x);
    }
}
