package dev.polystore.cli;

import dev.polystore.StoreException;

/**
 * A copy, verify, export or import job cannot run as asked: bad input (a file that is not a
 * Polystore export, a truncated or altered export, a checkpoint made by another job, a copy of a
 * store onto itself), never an engine failure (those keep their own {@link StoreException}
 * types). The message says what to do; nothing was written for the part that failed. The
 * {@code polystore} command exits with status 3 for it.
 */
public class JobException extends StoreException {
    private static final long serialVersionUID = 1L;

    public JobException(String message) {
        super(message);
    }

    public JobException(String message, Throwable cause) {
        super(message, cause);
    }
}
