package dev.polystore.dialogue;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One page of {@link dev.polystore.DialogueStore#listDialogues}.
 *
 * @param dialogues the dialogues of this page, ordered by id
 * @param cursor where the next page starts; empty at the end
 */
public record DialoguePage(List<Dialogue> dialogues, Optional<String> cursor) {
    public DialoguePage {
        dialogues = List.copyOf(dialogues);
        Objects.requireNonNull(cursor, "cursor");
    }

    public boolean hasMore() {
        return cursor.isPresent();
    }
}
