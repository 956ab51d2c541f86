package dev.polystore.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import dev.polystore.StoreException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Assertions on futures, shared by the contract suites. */
public final class KitAssertions {
    /** How long the kit waits for any single future before calling it hung. */
    public static final Duration TIMEOUT = Duration.ofSeconds(60);

    private KitAssertions() {
    }

    /** Waits for {@code future} and returns its value, failing the test if it failed or hung. */
    public static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("operation failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("operation did not complete within " + TIMEOUT + " (a hung future)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * Waits for {@code future} and checks it completed exceptionally with {@code type} (not
     * wrapped in anything but the usual {@code CompletionException}/{@code ExecutionException}).
     */
    public static <E extends StoreException> E awaitFailure(Class<E> type, CompletableFuture<?> future) {
        Object value;
        try {
            value = future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
            throw new AssertionError("expected the future to fail with " + type.getSimpleName() + " but it failed with "
                    + cause, cause);
        } catch (TimeoutException e) {
            throw new AssertionError("expected " + type.getSimpleName() + " but the future did not complete within "
                    + TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
        return fail("expected the future to fail with " + type.getSimpleName() + " but it completed with " + value);
    }
}
