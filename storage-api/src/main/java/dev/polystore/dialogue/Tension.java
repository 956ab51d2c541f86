package dev.polystore.dialogue;

import java.util.List;
import java.util.Objects;

/**
 * A point of disagreement raised in a round, whose status changes over time.
 *
 * @param id identifier within the dialogue, e.g. {@code T01}
 * @param dialogueId the dialogue it belongs to
 * @param round the round it was raised in
 * @param label short name
 * @param description the full text
 * @param status current status
 * @param version increases by one with every status change; pass it to
 *                {@link dev.polystore.DialogueStore#updateTensionStatus} so that two concurrent
 *                updates cannot both win
 * @param history every status change, oldest first; the first event raised the tension
 */
public record Tension(String id, String dialogueId, int round, String label, String description,
                      TensionStatus status, long version, List<TensionEvent> history) {
    public Tension {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(dialogueId, "dialogueId");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(status, "status");
        history = List.copyOf(history);
    }
}
