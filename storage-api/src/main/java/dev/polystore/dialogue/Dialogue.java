package dev.polystore.dialogue;

import java.time.Instant;
import java.util.Objects;

/**
 * A recorded expert discussion held in rounds.
 *
 * @param id caller-chosen identifier, unique in the store
 * @param title human-readable title
 * @param status lifecycle status
 * @param createdAt when it was created
 * @param updatedAt when it, or anything in it, last changed
 * @param rounds the highest round of any perspective, tension or tension event recorded so far
 *               (0 before any)
 */
public record Dialogue(String id, String title, DialogueStatus status, Instant createdAt, Instant updatedAt,
                       int rounds) {
    public Dialogue {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }
}
