package dev.polystore.dialogue;

/** Lifecycle of a dialogue. */
public enum DialogueStatus {
    /** Rounds are still being held. */
    ACTIVE,
    /** Finished; its record is complete. */
    CONCLUDED,
    /** Kept for reference only. */
    ARCHIVED
}
