package dev.polystore;

import java.util.Objects;

/**
 * Whether a secondary index can be queried, and how far its build has come: from
 * {@link Index#status()} and {@link Index#build()}. Immutable and thread-safe.
 *
 * @param store the store's name
 * @param index the index's name
 * @param state {@link State#READY} once every item written before the index was declared has its
 *              entries; {@link State#BUILDING} until then
 * @param segments how many segments the build reads the store in (0 before a build started)
 * @param segmentsDone how many of them it has read to the end
 * @param itemsRead how many items the builds so far have read (items, not index entries; an item
 *                  read again after an interrupted build counts twice)
 */
public record IndexStatus(String store, String index, State state, int segments, int segmentsDone, long itemsRead) {
    public IndexStatus {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(index, "index");
        Objects.requireNonNull(state, "state");
    }

    /** Where an index is in its life. */
    public enum State {
        /**
         * Declared, and kept up to date by every write since, but the items written before are
         * not all indexed yet: queries fail with {@link IndexNotReadyException} until
         * {@link Index#build()} completes.
         */
        BUILDING,
        /** Complete: queries answer from it. */
        READY
    }

    /** Whether the index answers queries ({@link State#READY}). */
    public boolean ready() {
        return state == State.READY;
    }
}
