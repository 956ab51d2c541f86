package dev.polystore.dialogue;

import java.time.Instant;
import java.util.Objects;

/**
 * One change of a tension's status: who made it, when, in which round and why.
 *
 * @param from the status before (null for the event that raised the tension)
 * @param to the status after
 * @param actor who made the change
 * @param at when
 * @param round the round it happened in
 * @param reason why
 */
public record TensionEvent(TensionStatus from, TensionStatus to, String actor, Instant at, int round, String reason) {
    public TensionEvent {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(reason, "reason");
    }
}
