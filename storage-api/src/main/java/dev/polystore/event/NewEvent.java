package dev.polystore.event;

import dev.polystore.ValidationException;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * An event to append: an id that makes the append idempotent, a type, the data (encoded by the
 * event store's codec) and string metadata. Immutable if {@code data} is.
 *
 * <p>Rules (checked by {@link EventStore#append}, before anything is written): the id is 1 to 256
 * UTF-8 bytes with no U+0000 or unpaired surrogates, distinct within one append; the type is 1 to
 * 128 characters, not blank; metadata keys and values are not null; the encoded event fits the
 * portable item limit (400 KiB with its keys).
 *
 * @param id the event's id: a retry must reuse it, so that the event is written once
 * @param type what kind of event, counted by {@link StreamAggregate#typeCounts()}
 * @param data the payload
 * @param metadata small string annotations (correlation ids, actors); empty if none
 * @param <T> the data type
 */
public record NewEvent<T>(String id, String type, T data, Map<String, String> metadata) {
    public NewEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
        if (type.isBlank() || type.length() > 128) {
            throw new ValidationException("event type must be 1 to 128 characters and not blank, got \"" + type + "\"");
        }
    }

    /** An event with a fresh random id (UUID) and no metadata. */
    public static <T> NewEvent<T> of(String type, T data) {
        return new NewEvent<>(UUID.randomUUID().toString(), type, data, Map.of());
    }

    /** An event with the given id and no metadata. */
    public static <T> NewEvent<T> of(String id, String type, T data) {
        return new NewEvent<>(id, type, data, Map.of());
    }

    /** A copy with these metadata. */
    public NewEvent<T> withMetadata(Map<String, String> newMetadata) {
        return new NewEvent<>(id, type, data, newMetadata);
    }
}
