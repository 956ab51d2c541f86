package dev.polystore;

import dev.polystore.dialogue.Dialogue;
import dev.polystore.dialogue.DialogueExport;
import dev.polystore.dialogue.DialoguePage;
import dev.polystore.dialogue.DialogueStatus;
import dev.polystore.dialogue.Perspective;
import dev.polystore.dialogue.Tension;
import dev.polystore.dialogue.TensionEvent;
import dev.polystore.dialogue.TensionStatus;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Recorded expert dialogues (RFC 0051): dialogues held in rounds, perspectives experts state,
 * tensions they raise and the history of each tension's status. From {@link Storage#dialogues()},
 * which requires {@link Capability#TRANSACTIONS} (it throws {@link UnsupportedCapabilityException}
 * on a backend without them, since every change here is an atomic multi-item write).
 *
 * <p>Identifiers (dialogue, perspective and tension ids) are 1 to 64 characters from
 * {@code A-Z a-z 0-9 _ . -}, starting with a letter or digit. Rounds start at 1.
 *
 * <p>Thread-safe; every method returns a {@link CompletableFuture} completing as described in
 * {@link Store}, and in particular:
 * <ul>
 *   <li>{@link NotFoundException} for an operation on a dialogue or tension that does not exist;</li>
 *   <li>{@link ConditionFailedException} for an id that is already taken, and for a tension
 *       update whose expected version is no longer current;</li>
 *   <li>{@link ValidationException} for bad input (malformed ids, rounds below 1, a status
 *       change not in {@link TensionStatus#allowedNext()}: the message names the allowed ones).</li>
 * </ul>
 * Every change is written atomically together with the dialogue's summary and its listing
 * index entries; see {@code docs/domain-stores.md} for the item layout.
 */
public interface DialogueStore {

    /** Creates a dialogue in status {@link DialogueStatus#ACTIVE} with 0 rounds. */
    CompletableFuture<Dialogue> createDialogue(String id, String title);

    /** The dialogue, or empty if there is none with this id. */
    CompletableFuture<Optional<Dialogue>> getDialogue(String id);

    /** Moves a dialogue to another lifecycle status (any change is allowed; the same status is a no-op). */
    CompletableFuture<Dialogue> updateDialogueStatus(String id, DialogueStatus status);

    /** Records a perspective; its id must be new within its dialogue. */
    CompletableFuture<Perspective> registerPerspective(Perspective perspective);

    /** The perspective, or empty (also when the dialogue does not exist). */
    CompletableFuture<Optional<Perspective>> getPerspective(String dialogueId, String perspectiveId);

    /**
     * Raises a tension in status {@link TensionStatus#OPEN} at version 1, with a first history
     * event (from {@code null} to {@code OPEN}) by {@code raisedBy} at the storage clock's time;
     * its id must be new within the dialogue.
     */
    CompletableFuture<Tension> registerTension(String dialogueId, String tensionId, int round, String label,
                                               String description, String raisedBy);

    /**
     * Moves a tension to {@code event.to()} and appends {@code event} to its history, both in one
     * atomic write, if the tension still has {@code expectedVersion}: of concurrent updates from
     * the same version exactly one wins, the others complete with
     * {@link ConditionFailedException}. {@code event.from()} is ignored and recorded as the status
     * replaced; {@code actor}, {@code at}, {@code round} and {@code reason} are recorded as given.
     *
     * @return the tension after the change, at {@code expectedVersion + 1}
     */
    CompletableFuture<Tension> updateTensionStatus(String dialogueId, String tensionId, long expectedVersion,
                                                   TensionEvent event);

    /** The tension with its full history, or empty (also when the dialogue does not exist). */
    CompletableFuture<Optional<Tension>> getTension(String dialogueId, String tensionId);

    /**
     * The whole dialogue as one consistent value: the dialogue, every perspective and every
     * tension with its full history, each list ordered by id (UTF-8 order). Its JSON form,
     * {@link DialogueExport#toJson()}, round-trips through {@link DialogueExport#fromJson(String)}.
     */
    CompletableFuture<DialogueExport> exportDialogue(String id);

    /**
     * One page of dialogues ordered by id (UTF-8 order), from an index kept in the same atomic
     * writes as the dialogues: a partition query, never a scan.
     *
     * @param status only dialogues in this status, or every dialogue if {@code null}
     * @param limit page size, 1 to {@value Limits#MAX_PAGE_SIZE}
     * @param cursor the previous page's cursor, or {@code null} for the first page; a cursor only
     *               continues the listing (same status) that returned it; any other string, or an
     *               altered cursor, fails the future with {@link ValidationException} (see {@link dev.polystore.Page})
     */
    CompletableFuture<DialoguePage> listDialogues(DialogueStatus status, int limit, String cursor);
}
