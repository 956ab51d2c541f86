package dev.polystore.document;

import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;

/**
 * A {@link dev.polystore.DocumentStore} change may or may not have taken effect, and this says
 * which document it concerns. Thrown (as the failure of the operation's future) by
 * {@code addDocument}, {@code updateDocument} and {@code deleteDocument} when
 * <ul>
 *   <li>the engine could not say whether the change's first atomic write was applied (its answer
 *       was lost), or</li>
 *   <li>that first write was applied but a later step of the change failed: the change is
 *       recorded in the document's state and is completed by the next read or write of the
 *       document.</li>
 * </ul>
 * Either way nothing is half-visible: the document shows either its content before the change or
 * after it. To learn which, read it back: {@code getDocument(documentId())} completes a recorded
 * change before answering. For {@code addDocument}, {@link #documentId()} is the id the new
 * document has if it was added; use {@code addDocument(document, requestId)} to make a retry
 * safe instead (it answers with the same id, never a second document).
 *
 * <p>{@link #key()} is the key of the document's state item, {@code doc#<id>} / {@code doc}.
 */
public class DocumentOutcomeUnknownException extends OutcomeUnknownException {
    private static final long serialVersionUID = 1L;

    private final long documentId;

    public DocumentOutcomeUnknownException(String message, long documentId, Throwable cause) {
        super(message, Key.of("doc#" + documentId, "doc"), cause);
        this.documentId = documentId;
    }

    /** The id of the document the change concerns (for an add: the id it has if it was added). */
    public long documentId() {
        return documentId;
    }
}
