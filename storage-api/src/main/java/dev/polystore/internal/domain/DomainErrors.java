package dev.polystore.internal.domain;

import dev.polystore.ConditionFailedException;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.internal.Futures;
import java.util.concurrent.CompletableFuture;

/**
 * The errors of a domain-store write, in the domain's words. The transactions a domain store
 * builds are its own business: a caller must never see an operation index of a transaction it
 * did not build, nor an engine message that speaks only of items. So the outcome kinds pass
 * through unchanged ({@link UnavailableException}: nothing was written, retryable;
 * {@link OutcomeUnknownException}: may have been applied), each re-worded with the entity and
 * key concerned, with the original as cause.
 */
final class DomainErrors {
    private DomainErrors() {
    }

    /**
     * {@code f}, with its failure re-worded for {@code what} (a phrase such as "creating dialogue
     * 'd1'") and {@code key} (the entity's item).
     */
    static <T> CompletableFuture<T> write(CompletableFuture<T> f, String what, Key key) {
        return f.handle((value, error) -> {
            if (error == null) {
                return value;
            }
            throw translate(what, key, Futures.unwrap(error));
        });
    }

    static StoreException translate(String what, Key key, Throwable cause) {
        if (cause instanceof OutcomeUnknownException unknown) {
            if (unknown.getClass() != OutcomeUnknownException.class) {
                return unknown; // a domain kind already (e.g. DocumentOutcomeUnknownException)
            }
            return new OutcomeUnknownException(what + " may or may not have been applied (" + cause.getMessage()
                    + "); read it back to see", key, cause);
        }
        if (cause instanceof UnavailableException) {
            return new UnavailableException(what + " failed and nothing was written (" + cause.getMessage()
                    + "); try again", cause);
        }
        if (cause instanceof ConditionFailedException cf && (cf.operationIndex().isPresent() || cf.getCause() != null)) {
            // A condition of the store's own transaction: the store explains every condition a
            // caller can make fail; anything else is a conflict the store did not resolve.
            return new UnavailableException(what + " met a concurrent change it could not resolve and nothing was "
                    + "written; try again", null);
        }
        if (cause instanceof StoreException se) {
            return se;
        }
        return new StoreException(what + " failed unexpectedly: " + cause, cause);
    }
}
