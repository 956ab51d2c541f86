package dev.polystore.internal.coordination;

import dev.polystore.Item;
import dev.polystore.StoreException;
import dev.polystore.Store;
import dev.polystore.ValidationException;
import dev.polystore.event.CheckpointStore;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * Checkpoints as items of the events table: {@code pk evcp#<subscription>, sk <stream>}, payload
 * the revision (8 bytes), written unconditionally. A save whose answer was lost and that lands
 * late can only move the checkpoint back (events delivered again), never past an acknowledgement.
 */
final class DefaultCheckpointStore implements CheckpointStore {
    private final Store<byte[]> items;

    DefaultCheckpointStore(Store<byte[]> items) {
        this.items = items;
    }

    private static String pk(String subscription) {
        return EventLog.CHECKPOINT_PREFIX + subscription;
    }

    @Override
    public CompletableFuture<OptionalLong> load(String subscription, String stream) {
        try {
            Names.requireName("subscription name", subscription);
            Names.requireName("stream name", stream);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return items.get(pk(subscription), stream).thenApply(found -> found
                .map(item -> OptionalLong.of(EventEnvelope.readLong(item.value(), "checkpoint " + item.key())))
                .orElse(OptionalLong.empty()));
    }

    @Override
    public CompletableFuture<Void> save(String subscription, String stream, long revision) {
        try {
            Names.requireName("subscription name", subscription);
            Names.requireName("stream name", stream);
            if (revision < 0) {
                throw new ValidationException("a checkpoint revision must be 0 or more, got " + revision);
            }
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return items.put(Item.of(pk(subscription), stream, EventEnvelope.longBytes(revision))).thenApply(i -> null);
    }
}
