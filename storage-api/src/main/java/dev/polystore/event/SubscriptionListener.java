package dev.polystore.event;

import java.time.Duration;

/**
 * Optional callbacks of a subscription's life, on its executor. Defaults do nothing; they must not
 * block for long.
 */
public interface SubscriptionListener {

    /**
     * The subscription has delivered (and had acknowledged) every event up to {@code lastRevision},
     * the stream's end when it last read (-1 for an empty stream), and now waits for new events.
     * Called each time it catches up after having fallen behind, and once at first.
     */
    default void onCaughtUp(long lastRevision) {
    }

    /**
     * A transient failure (the engine unavailable, a write's outcome unknown): the subscription
     * tries again after {@code retryIn}, from its last acknowledged event.
     */
    default void onRetry(Throwable cause, int consecutiveFailures, Duration retryIn) {
    }

    /** The subscription stopped; see {@link SubscriptionDroppedException} for the causes. */
    default void onDropped(SubscriptionDroppedException error) {
    }
}
