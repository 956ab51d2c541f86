package dev.polystore.event;

import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * Where subscriptions keep the revision of the last event their handler acknowledged, so that a
 * restarted subscription with the same name resumes after it. {@link EventStore#checkpoints()} is
 * one in the same Storage; supply your own (for instance one that writes the checkpoint together
 * with the handler's effects) through {@link SubscriptionOptions.Builder#checkpoints}.
 *
 * <p>A subscription saves only revisions whose events were acknowledged, in increasing order, one
 * save at a time. Implementations must be thread-safe; a save that completed normally must be
 * what a later {@link #load} returns (or a later save).
 */
public interface CheckpointStore {

    /** The last saved revision of {@code subscription} on {@code stream}, or empty if none. */
    CompletableFuture<OptionalLong> load(String subscription, String stream);

    /** Saves {@code revision} as the last acknowledged one of {@code subscription} on {@code stream}. */
    CompletableFuture<Void> save(String subscription, String stream, long revision);
}
