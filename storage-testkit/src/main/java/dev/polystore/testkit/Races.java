package dev.polystore.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Races in rounds, so that a backend without the atomicity a race needs fails every run, not
 * now and then: in each round every racer thread waits at a barrier, then all start their
 * attempt at once, and the next round begins only when every attempt of this one has completed.
 * Used by the kit's create and delete races; public so a backend's own tests can race the same
 * way.
 *
 * <p>Not thread-safe itself; each call of {@link #run} uses its own threads and ends them.
 */
public final class Races {
    /** How long after the last racer arrives the round starts: time for the others to wake and spin. */
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(300);

    private Races() {
    }

    /** One attempt of one racer in one round. */
    @FunctionalInterface
    public interface Attempt<T> {
        /** Starts the attempt of {@code racer} in {@code round}; runs on the racer's own thread. */
        CompletableFuture<T> start(int round, int racer) throws Exception;
    }

    /**
     * What one attempt gave: its value, or the exception it failed with (unwrapped from
     * {@link CompletionException}/{@link ExecutionException}).
     */
    public record Outcome<T>(T value, Throwable failure) {
        public boolean succeeded() {
            return failure == null;
        }

        @Override
        public String toString() {
            return failure == null ? "succeeded with " + value : "failed with " + failure;
        }
    }

    /**
     * Runs {@code rounds} rounds of {@code racers} attempts each and returns the outcomes by
     * round, then by racer. Fails the test if an attempt does not complete within
     * {@link KitAssertions#TIMEOUT} or the whole race takes longer than {@code hang} (a hung
     * backend, not a speed check).
     */
    public static <T> List<List<Outcome<T>>> run(int rounds, int racers, Duration hang, Attempt<T> attempt)
            throws InterruptedException {
        if (rounds < 1 || racers < 2) {
            throw new IllegalArgumentException("a race needs at least one round and two racers, got " + rounds
                    + " rounds of " + racers);
        }
        @SuppressWarnings("unchecked")
        Outcome<T>[][] outcomes = new Outcome[rounds][racers];
        // The racers meet at the barrier (blocking: they may be many more than cores), then spin
        // until one instant set when the last arrives, so the racers that are on a core at that
        // instant start within nanoseconds of each other rather than one thread wake-up apart:
        // that is what makes even a microsecond-wide window between a check and a write show.
        AtomicLong startAt = new AtomicLong();
        CyclicBarrier barrier = new CyclicBarrier(racers, () -> startAt.set(System.nanoTime() + SPIN_NANOS));
        ExecutorService pool = Executors.newFixedThreadPool(racers, r -> {
            Thread t = new Thread(r, "polystore-kit-racer");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Void>> running = new ArrayList<>();
            for (int i = 0; i < racers; i++) {
                int racer = i;
                running.add(pool.submit(() -> {
                    try {
                        for (int round = 0; round < rounds; round++) {
                            barrier.await(hang.toMillis(), TimeUnit.MILLISECONDS);
                            long start = startAt.get();
                            while (System.nanoTime() - start < 0) {
                                Thread.onSpinWait();
                            }
                            outcomes[round][racer] = attempt(attempt, round, racer);
                        }
                        return null;
                    } catch (Throwable t) {
                        barrier.reset(); // the others stop waiting for this racer
                        throw t;
                    }
                }));
            }
            long deadline = System.nanoTime() + hang.toNanos();
            Throwable first = null;
            for (Future<Void> f : running) {
                try {
                    f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    boolean waiting = cause instanceof BrokenBarrierException || cause instanceof TimeoutException;
                    if (first == null || (!waiting && (first instanceof BrokenBarrierException
                            || first instanceof TimeoutException))) {
                        first = cause;
                    }
                } catch (TimeoutException e) {
                    throw new AssertionError("the race did not finish within " + hang + " (a hung backend)", e);
                }
            }
            if (first instanceof AssertionError ae) {
                throw ae;
            } else if (first instanceof BrokenBarrierException || first instanceof TimeoutException) {
                throw new AssertionError("racers did not meet at the barrier within " + hang + ": an attempt hung", first);
            } else if (first != null) {
                throw new AssertionError("a racer thread failed: " + first, first);
            }
        } finally {
            pool.shutdownNow();
        }
        List<List<Outcome<T>>> result = new ArrayList<>(rounds);
        for (Outcome<T>[] round : outcomes) {
            result.add(List.of(round));
        }
        return result;
    }

    private static <T> Outcome<T> attempt(Attempt<T> attempt, int round, int racer) throws InterruptedException {
        CompletableFuture<T> future;
        try {
            future = attempt.start(round, racer);
        } catch (Exception e) {
            return new Outcome<>(null, unwrap(e));
        }
        try {
            return new Outcome<>(future.get(KitAssertions.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), null);
        } catch (ExecutionException e) {
            return new Outcome<>(null, unwrap(e));
        } catch (TimeoutException e) {
            throw new AssertionError("an attempt of round " + round + " did not complete within " + KitAssertions.TIMEOUT
                    + " (a hung future)", e);
        }
    }

    private static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }
}
