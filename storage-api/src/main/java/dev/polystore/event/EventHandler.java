package dev.polystore.event;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Receives a subscription's events, one at a time, in revision order. An event is
 * <em>acknowledged</em> when the stage returned by {@link #handle} completes normally; only then
 * is the next event delivered and the checkpoint allowed past it. A handler that throws, or whose
 * stage completes exceptionally, drops the subscription with {@link SubscriptionDroppedException}
 * (the event is not acknowledged and is delivered again to the next subscription with the same
 * name).
 *
 * <p>Called on the subscription's executor; calls never overlap for one subscription.
 *
 * @param <T> the data type
 */
@FunctionalInterface
public interface EventHandler<T> {

    /** Handles one event; acknowledge it by completing the returned stage normally. */
    CompletionStage<?> handle(RecordedEvent<T> event) throws Exception;

    /** A handler that acknowledges each event when {@code action} returns. */
    static <T> EventHandler<T> of(Consumer<? super RecordedEvent<T>> action) {
        return event -> {
            action.accept(event);
            return CompletableFuture.completedFuture(null);
        };
    }
}
