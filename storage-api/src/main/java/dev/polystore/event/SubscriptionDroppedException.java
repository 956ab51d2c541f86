package dev.polystore.event;

import dev.polystore.StoreException;

/**
 * A subscription stopped delivering because of an error it does not retry: the handler failed
 * (threw, or its stage completed exceptionally), an event could not be decoded, the Storage was
 * closed, or transient failures exceeded {@link SubscriptionOptions#maxConsecutiveFailures()}.
 * The cause says which. Events up to {@link #lastAcknowledged()} were acknowledged, and the
 * checkpoint (if any) was saved up to there where the engine allowed; a new subscription with
 * the same name resumes after the last saved checkpoint.
 */
public class SubscriptionDroppedException extends StoreException {
    private static final long serialVersionUID = 1L;

    private final long lastAcknowledged;

    public SubscriptionDroppedException(String message, long lastAcknowledged, Throwable cause) {
        super(message, cause);
        this.lastAcknowledged = lastAcknowledged;
    }

    /** The revision of the last event the handler acknowledged, or -1 if none in this run. */
    public long lastAcknowledged() {
        return lastAcknowledged;
    }
}
