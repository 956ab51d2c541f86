package dev.polystore.dialogue;

import java.util.EnumSet;
import java.util.Set;

/**
 * Status of a tension, with the transitions allowed between them:
 * <pre>
 * OPEN      → ADDRESSED, DEFERRED, RESOLVED
 * ADDRESSED → RESOLVED, OPEN, DEFERRED
 * DEFERRED  → OPEN
 * RESOLVED  → OPEN
 * </pre>
 */
public enum TensionStatus {
    OPEN,
    ADDRESSED,
    DEFERRED,
    RESOLVED;

    /** The statuses a tension in this status may move to. */
    public Set<TensionStatus> allowedNext() {
        return switch (this) {
            case OPEN -> EnumSet.of(ADDRESSED, DEFERRED, RESOLVED);
            case ADDRESSED -> EnumSet.of(RESOLVED, OPEN, DEFERRED);
            case DEFERRED -> EnumSet.of(OPEN);
            case RESOLVED -> EnumSet.of(OPEN);
        };
    }

    public boolean canMoveTo(TensionStatus next) {
        return allowedNext().contains(next);
    }
}
