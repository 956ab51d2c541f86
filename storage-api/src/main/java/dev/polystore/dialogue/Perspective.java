package dev.polystore.dialogue;

import java.util.Objects;

/**
 * A position an expert states in a round.
 *
 * @param id identifier within the dialogue, e.g. {@code P01}
 * @param dialogueId the dialogue it belongs to
 * @param round the round it was stated in (1 or more)
 * @param expert who stated it
 * @param label short name
 * @param body the full text
 */
public record Perspective(String id, String dialogueId, int round, String expert, String label, String body) {
    public Perspective {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(dialogueId, "dialogueId");
        Objects.requireNonNull(expert, "expert");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(body, "body");
    }
}
