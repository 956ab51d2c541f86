package dev.polystore.event;

import java.util.List;
import java.util.OptionalLong;

/**
 * One page of a stream read with {@link EventStore#read}: events in the direction asked, and
 * where the next page starts. The cursor is a revision, portable between backends and processes:
 * pass {@link #next()} as {@code fromRevision} to read on.
 *
 * @param events the events of this page, at most the limit
 * @param next the revision to continue from, or empty if the read reached the stream's end (for
 *     an ascending read: its last event at the time of reading; later appends are read by
 *     continuing from {@code lastRevision + 1})
 * @param <T> the data type
 */
public record EventPage<T>(List<RecordedEvent<T>> events, OptionalLong next) {
    public EventPage {
        events = List.copyOf(events);
    }

    public boolean hasMore() {
        return next.isPresent();
    }
}
