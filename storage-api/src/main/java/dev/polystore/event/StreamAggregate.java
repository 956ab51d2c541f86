package dev.polystore.event;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A stream's summary, maintained in the same transaction as every append, so reading it is one
 * item read however long the stream is.
 *
 * @param stream the stream
 * @param count the number of events (revisions are 0 to {@code count - 1})
 * @param firstRevision 0
 * @param lastRevision {@code count - 1}
 * @param firstRecordedAt when the first event was appended
 * @param lastRecordedAt when the last event was appended
 * @param typeCounts events per type
 * @param appends the number of appends that wrote events
 */
public record StreamAggregate(String stream, long count, long firstRevision, long lastRevision, Instant firstRecordedAt,
                              Instant lastRecordedAt, Map<String, Long> typeCounts, long appends) {
    public StreamAggregate {
        Objects.requireNonNull(stream, "stream");
        typeCounts = Map.copyOf(typeCounts);
    }
}
