package dev.polystore.internal;

import dev.polystore.StoreException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;

/** Small helpers for futures that must complete with {@link StoreException}s only. */
public final class Futures {
    private Futures() {
    }

    /** The exception inside {@link CompletionException}/{@link ExecutionException} wrappers. */
    public static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    /**
     * Calls {@code call}, turning a synchronous throw or a null future into a failed future,
     * and any failure that is not a {@link StoreException} into one naming the backend.
     */
    public static <T> CompletableFuture<T> guard(String backend, Supplier<CompletableFuture<T>> call) {
        CompletableFuture<T> f;
        try {
            f = call.get();
        } catch (RuntimeException | Error e) {
            return CompletableFuture.failedFuture(toStoreException(backend, e));
        }
        if (f == null) {
            return CompletableFuture.failedFuture(new StoreException("backend '" + backend + "' returned no future"));
        }
        if (f.isDone() && !f.isCompletedExceptionally()) {
            // Already complete (an embedded read on the caller's thread): no callback to register.
            return CompletableFuture.completedFuture(f.join());
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        f.whenComplete((v, e) -> {
            if (e == null) {
                result.complete(v);
            } else {
                result.completeExceptionally(toStoreException(backend, e));
            }
        });
        return result;
    }

    public static StoreException toStoreException(String backend, Throwable t) {
        Throwable cause = unwrap(t);
        if (cause instanceof StoreException se) {
            return se;
        }
        return new StoreException("backend '" + backend + "' failed unexpectedly: " + cause, cause);
    }
}
