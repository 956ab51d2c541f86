package dev.polystore;

import dev.polystore.dialogue.Dialogue;
import dev.polystore.dialogue.DialogueExport;
import dev.polystore.dialogue.DialogueStatus;
import dev.polystore.dialogue.Perspective;
import dev.polystore.dialogue.Tension;
import dev.polystore.dialogue.TensionEvent;
import dev.polystore.dialogue.TensionStatus;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Recorded expert dialogues (RFC 0051): dialogues held in rounds, perspectives experts state,
 * tensions they raise and the history of each tension's status. From {@link Storage#dialogues()}.
 *
 * <p>Thread-safe; every method returns a {@link CompletableFuture} completing as described in
 * {@link Store}. Operations on a dialogue that does not exist complete with
 * {@link NotFoundException}; ids that clash with existing ones with
 * {@link ConditionFailedException}; bad input (blank ids, rounds below 1, a status change not
 * in {@link TensionStatus#allowedNext()}) with {@link ValidationException} naming what is allowed.
 * Every change that touches several items is written atomically.
 */
public interface DialogueStore {

    /** Creates a dialogue in status {@link DialogueStatus#ACTIVE}. */
    CompletableFuture<Dialogue> createDialogue(String id, String title);

    CompletableFuture<Optional<Dialogue>> getDialogue(String id);

    /** Moves a dialogue to another lifecycle status. */
    CompletableFuture<Dialogue> updateDialogueStatus(String id, DialogueStatus status);

    /** Records a perspective; its id must be new within the dialogue. */
    CompletableFuture<Perspective> registerPerspective(Perspective perspective);

    /**
     * Raises a tension in status {@link TensionStatus#OPEN}, with a first history event by
     * {@code raisedBy}; its id must be new within the dialogue.
     */
    CompletableFuture<Tension> registerTension(String dialogueId, String tensionId, int round, String label,
                                               String description, String raisedBy);

    /**
     * Moves a tension to {@code event.to()}, appending {@code event} to its history, if the
     * tension still has {@code expectedVersion}: of two concurrent updates from the same
     * version exactly one wins, the other completes with {@link ConditionFailedException}.
     * {@code event.from()} is ignored and recorded as the status replaced.
     */
    CompletableFuture<Tension> updateTensionStatus(String dialogueId, String tensionId, long expectedVersion,
                                                   TensionEvent event);

    CompletableFuture<Optional<Tension>> getTension(String dialogueId, String tensionId);

    /** The whole dialogue, with every perspective and tension and their full history. */
    CompletableFuture<DialogueExport> exportDialogue(String id);

    /**
     * Dialogues, newest id order not implied: ordered by id, one page at a time, optionally
     * only those in {@code status}. Reads an index, never scans.
     *
     * @param status only dialogues in this status, or all if empty
     * @param limit page size, 1 to {@value Limits#MAX_PAGE_SIZE}
     * @param cursor the previous page's cursor, or null for the first page
     */
    CompletableFuture<Page<Dialogue>> listDialogues(Optional<DialogueStatus> status, int limit, String cursor);
}
