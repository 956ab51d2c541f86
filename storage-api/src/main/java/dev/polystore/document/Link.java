package dev.polystore.document;

import java.util.Objects;

/**
 * A typed relationship from one document to another, e.g. {@code cites} or {@code supersedes}.
 *
 * @param from the source document's id
 * @param to the target document's id
 * @param type lower-case letters, digits, {@code _} and {@code -}, 1 to 64 characters
 */
public record Link(long from, long to, String type) {
    public Link {
        Objects.requireNonNull(type, "type");
    }
}
