package dev.polystore.spi;

import dev.polystore.StoreException;
import java.util.Objects;

/**
 * What an import did with one item.
 *
 * @param status what happened
 * @param targetVersion for {@link Status#KEPT}, the version of the live item the target kept;
 *                      otherwise 0
 * @param failure for {@link Status#FAILED}, why: {@link dev.polystore.UnavailableException} (not
 *                written; retry), {@link dev.polystore.OutcomeUnknownException} (may have been
 *                written; an import is idempotent, so retry), {@link dev.polystore.ValidationException}
 *                (the item cannot be stored there; retrying does not help); otherwise null
 */
public record ImportOutcome(Status status, long targetVersion, StoreException failure) {
    /** What happened to one imported item. */
    public enum Status {
        /** The target now holds the item exactly as given (payload, version, expiry). */
        WRITTEN,
        /** {@link ImportMode#IF_NEWER} found a live item with the same or a higher version and left it. */
        KEPT,
        /** The item had expired by the target's clock: not written (an expired item counts as absent). */
        EXPIRED,
        /** Not written, or not known to be written: see {@link #failure()}. */
        FAILED
    }

    private static final ImportOutcome WRITTEN = new ImportOutcome(Status.WRITTEN, 0, null);
    private static final ImportOutcome EXPIRED = new ImportOutcome(Status.EXPIRED, 0, null);

    public ImportOutcome {
        Objects.requireNonNull(status, "status");
        if ((status == Status.FAILED) != (failure != null)) {
            throw new IllegalArgumentException("a failure goes with status FAILED, and only with it");
        }
        if (status == Status.KEPT && targetVersion < 1) {
            throw new IllegalArgumentException("KEPT needs the target's version (>= 1), got " + targetVersion);
        }
    }

    public static ImportOutcome written() {
        return WRITTEN;
    }

    public static ImportOutcome kept(long targetVersion) {
        return new ImportOutcome(Status.KEPT, targetVersion, null);
    }

    public static ImportOutcome expired() {
        return EXPIRED;
    }

    public static ImportOutcome failed(StoreException failure) {
        return new ImportOutcome(Status.FAILED, 0, Objects.requireNonNull(failure, "failure"));
    }
}
