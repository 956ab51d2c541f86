package dev.polystore.event;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A running subscription to one stream, from {@link EventStore#subscribe}: it catches up from
 * its start (a saved checkpoint, else {@link SubscriptionOptions#from()}), then delivers new
 * events as they are appended, each exactly once and in revision order to its handler within this
 * run. Across runs (a crash, a restart) a named subscription resumes after its last saved
 * checkpoint: events acknowledged after that save are delivered again (at most
 * {@link SubscriptionOptions#checkpointEvery()} of them), and an event whose handler had not
 * acknowledged it is always delivered again. No event is ever skipped.
 *
 * <p>Live delivery polls the stream at the poll interval; on a backend with
 * {@link dev.polystore.Capability#CHANGE_NOTIFICATIONS} the backend also wakes the subscription
 * after each committed append, and polling stays as the safety net for lost notifications.
 * Transient failures are retried with backoff, from the last acknowledged event.
 *
 * <p>Thread-safe.
 */
public interface Subscription extends AutoCloseable {

    /** The stream subscribed to. */
    String stream();

    /** The subscription's name, if it has one. */
    Optional<String> name();

    /** The revision of the last event acknowledged in this run, or the checkpoint it resumed from, or -1. */
    long lastAcknowledged();

    /** Whether it has delivered everything it last read and waits for new events. */
    boolean isCaughtUp();

    /** Completes the first time the subscription is caught up, with the last revision delivered (-1 if none). */
    CompletableFuture<Long> caughtUp();

    /**
     * Completes when the subscription has stopped: normally after {@link #close()} (with the
     * checkpoint saved, where the engine allowed), exceptionally with
     * {@link SubscriptionDroppedException} when it was dropped.
     */
    CompletableFuture<Void> done();

    /**
     * Stops delivering; an event being handled is not waited for (its acknowledgement, if it comes,
     * is ignored and the event will be delivered again to the next run). Saves the checkpoint of
     * what was acknowledged, then completes {@link #done()}. Idempotent, never blocks, never throws.
     */
    @Override
    void close();
}
