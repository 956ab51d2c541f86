package dev.polystore.testkit.faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The standard mix the sweep runs: core writes (unconditional, conditional, deletes), reads and
 * paged queries, batches, a transaction across two stores, close, and the domain stores'
 * operations (dialogues, perspectives, tensions; documents small and large, updates, deletes
 * with links, links, search). A backend's sweep may add its own to the list.
 */
public final class SweepOperations {
    /** How long a fault-free call of the harness (set-up, read back) may take before it is called hung. */
    static final Duration HANG_GUARD = Duration.ofSeconds(120);

    private SweepOperations() {
    }

    /** Every standard operation: {@link CoreOperations}, {@link DialogueOperations}, {@link DocumentOperations}. */
    public static List<SweepOperation> standard() {
        List<SweepOperation> all = new ArrayList<>();
        all.addAll(CoreOperations.all());
        all.addAll(DialogueOperations.all());
        all.addAll(DocumentOperations.all());
        return List.copyOf(all);
    }

    /**
     * The value of a fault-free call made by the harness or an operation's set-up, read back or
     * probe; its failure is thrown as an {@link IllegalStateException} saying what failed.
     */
    public static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(HANG_GUARD.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = unwrap(e);
            throw new IllegalStateException("a call without fault failed: " + cause, cause);
        } catch (TimeoutException e) {
            throw new IllegalStateException("a call without fault did not complete within " + HANG_GUARD, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The cause behind CompletionException / ExecutionException wrappers. */
    static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof java.util.concurrent.CompletionException || c instanceof java.util.concurrent.ExecutionException)
                && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }
}
