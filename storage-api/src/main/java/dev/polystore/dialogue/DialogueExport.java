package dev.polystore.dialogue;

import java.util.List;

/**
 * A whole dialogue as one value: the dialogue, every perspective and every tension with its
 * full history, each list ordered by id. Its JSON form (see {@code docs/domain-stores.md}) round-trips.
 *
 * @param formatVersion version of the export format, currently 1
 */
public record DialogueExport(int formatVersion, Dialogue dialogue, List<Perspective> perspectives,
                             List<Tension> tensions) {
    public static final int FORMAT_VERSION = 1;

    public DialogueExport {
        perspectives = List.copyOf(perspectives);
        tensions = List.copyOf(tensions);
    }
}
