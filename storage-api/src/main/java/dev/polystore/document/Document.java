package dev.polystore.document;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A stored document.
 *
 * @param id identifier allocated by the store, unique across writers and processes
 * @param title title (searched along with the body)
 * @param body text
 * @param metadata free-form string attributes (not searched)
 * @param version 1 after creation, +1 per update
 * @param createdAt when it was added
 * @param updatedAt when it last changed
 */
public record Document(long id, String title, String body, Map<String, String> metadata, long version,
                       Instant createdAt, Instant updatedAt) {
    public Document {
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(body, "body");
        metadata = Map.copyOf(metadata);
    }
}
