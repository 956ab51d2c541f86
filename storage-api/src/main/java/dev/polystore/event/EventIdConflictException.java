package dev.polystore.event;

import dev.polystore.ConditionFailedException;
import dev.polystore.Key;
import java.util.Map;

/**
 * Some (not all) of an append's event ids are already in the stream, or all are but not as the
 * events of one earlier append at the position this one expects: so it is not a retry, and
 * appending would store an id twice. Nothing was written. {@link #existing()} maps each id found
 * to its revision.
 */
public class EventIdConflictException extends ConditionFailedException {
    private static final long serialVersionUID = 1L;

    private final transient Map<String, Long> existing;

    public EventIdConflictException(String message, Map<String, Long> existing, Key key) {
        super(message, key);
        this.existing = Map.copyOf(existing);
    }

    /** The ids of the append already in the stream, with their revisions. */
    public Map<String, Long> existing() {
        return existing;
    }
}
