package dev.polystore.event;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * An event as stored: its stream, its revision (0, 1, 2 … without gaps within the stream), what
 * was appended, and when.
 *
 * @param stream the stream's name
 * @param revision its position in the stream, from 0
 * @param id the id it was appended with
 * @param type its type
 * @param data its decoded payload
 * @param metadata its metadata (empty if none)
 * @param recordedAt when it was appended, by the appender's clock (the Storage's clock), in
 *     milliseconds; never earlier than the previous event's within the stream
 * @param <T> the data type
 */
public record RecordedEvent<T>(String stream, long revision, String id, String type, T data,
                               Map<String, String> metadata, Instant recordedAt) {
    public RecordedEvent {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        metadata = Map.copyOf(metadata);
        Objects.requireNonNull(recordedAt, "recordedAt");
    }
}
