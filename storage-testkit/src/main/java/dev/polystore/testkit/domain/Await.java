package dev.polystore.testkit.domain;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting on futures in the domain contract suites. */
final class Await {
    /** Guards against a hung backend; not a performance assertion. */
    private static final long HANG_GUARD_SECONDS = 300;

    private Await() {
    }

    /** The exception inside {@link CompletionException}/{@link ExecutionException} wrappers. */
    static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    /**
     * The value of a read of something the test wrote; fails naming {@code call} if the read
     * found nothing (rather than a bare NoSuchElementException).
     */
    static <T> T found(CompletableFuture<java.util.Optional<T>> read, String call) {
        return await(read).orElseThrow(() -> new AssertionError(call
                + " found nothing, although the test wrote it and the backend acknowledged the write"));
    }

    /** The value of {@code f}, failing the test with the unwrapped cause if it failed. */
    static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e);
            throw new AssertionError("expected success, got " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (TimeoutException e) {
            throw new AssertionError("no answer within " + HANG_GUARD_SECONDS + " s: the backend hangs", e);
        }
    }

    /** The exception {@code f} completed with, which must be a {@code type}. */
    static <X extends Throwable> X failure(Class<X> type, CompletableFuture<?> f) {
        Throwable cause = outcome(f);
        if (cause == null) {
            return fail("expected " + type.getSimpleName() + ", but the operation succeeded");
        }
        return assertInstanceOf(type, cause, () -> "expected " + type.getSimpleName() + ", got " + cause);
    }

    /** The exception {@code f} completed with, or null if it succeeded. */
    static Throwable outcome(CompletableFuture<?> f) {
        try {
            f.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return unwrap(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (TimeoutException e) {
            throw new AssertionError("no answer within " + HANG_GUARD_SECONDS + " s: the backend hangs", e);
        }
    }

    /**
     * Starts every call on its own thread at the same moment (a latch releases them together)
     * and returns their futures' outcomes in order: null for success, else the unwrapped cause.
     */
    static List<Throwable> race(List<Callable<CompletableFuture<?>>> calls) {
        ExecutorService pool = Executors.newFixedThreadPool(calls.size());
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<CompletableFuture<?>>> started = new ArrayList<>();
            for (Callable<CompletableFuture<?>> call : calls) {
                started.add(pool.submit(() -> {
                    start.await();
                    return call.call();
                }));
            }
            start.countDown();
            List<Throwable> outcomes = new ArrayList<>();
            for (Future<CompletableFuture<?>> f : started) {
                CompletableFuture<?> future;
                try {
                    future = f.get(HANG_GUARD_SECONDS, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    outcomes.add(unwrap(e));
                    continue;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", e);
                } catch (TimeoutException e) {
                    throw new AssertionError("a racing call did not return", e);
                }
                outcomes.add(outcome(future));
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }
}
