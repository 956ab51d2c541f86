package dev.polystore;

import dev.polystore.document.Document;
import dev.polystore.document.Link;
import dev.polystore.document.NewDocument;
import dev.polystore.document.SearchHit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Documents with full-text search and typed links between them (RFC 0053). From
 * {@link Storage#documents()}, which requires {@link Capability#TRANSACTIONS} (it throws
 * {@link UnsupportedCapabilityException} on a backend without them).
 *
 * <p><b>Search semantics</b>, the same on every backend (see {@code docs/domain-stores.md}):
 * <ul>
 *   <li>title and body are searched (metadata is not); a <em>token</em> is a maximal run of code
 *       points of Unicode general category L* (letters), N* (numbers) or Co (private use);
 *       every other code point separates tokens, combining marks included ({@code cafe}
 *       followed by U+0301 contains the token {@code cafe});</li>
 *   <li>tokens are case-folded by simple per-code-point lower-casing
 *       ({@link Character#toLowerCase(int)}, no locale, no context: {@code İ} → {@code i},
 *       {@code Σ} → {@code σ}); diacritics are kept ({@code é} ≠ {@code e}); categories and
 *       case mappings are the running JDK's Unicode tables;</li>
 *   <li>tokens longer than {@value #MAX_TERM_LENGTH} code points are not indexed, so a query
 *       containing one matches nothing;</li>
 *   <li>the query is tokenized the same way; a document matches when it contains
 *       <em>every</em> distinct query term; a query without terms matches nothing; at most
 *       {@value #MAX_QUERY_TERMS} distinct terms;</li>
 *   <li>portable relevance: score = the sum over query terms of the term's number of occurrences
 *       in title and body; results by score descending, ties by ascending id. A backend with
 *       {@link Capability#NATIVE_SEARCH} returns the same set of documents, for every Unicode
 *       input, but may score and therefore order them by its own measure (SQLite FTS5: bm25),
 *       still breaking ties by id.</li>
 * </ul>
 *
 * <p><b>Limits</b>: a document's content ({@link NewDocument} encoded as JSON) is at most
 * {@value #MAX_CONTENT_BYTES} bytes; link types are 1 to 64 characters from {@code a-z 0-9 _ -}.
 *
 * <p><b>Atomicity.</b> A document's index entries are written with it: small documents (at most
 * about 95 distinct new terms) in one atomic write; larger ones in a resumable sequence of
 * bounded atomic writes, each conditional on the document's item, in an order that keeps search
 * exact at every instant (postings are written before content becomes visible, and removed only
 * after it is replaced). Deleting a document hides it from reads and search in its first atomic
 * write, then removes its index entries and links. See {@code docs/domain-stores.md}.
 *
 * <p><b>Failures.</b> {@link UnavailableException}: nothing was written, retrying is safe.
 * {@link dev.polystore.document.DocumentOutcomeUnknownException} (an
 * {@link OutcomeUnknownException} naming the document): the change may or may not have taken
 * effect, either because the engine's answer to its first atomic write was lost, or because that
 * write committed and a later step failed; nothing is ever half-visible, and the change is
 * completed by the next read or write of the document, so {@code getDocument(documentId())}
 * tells which. A condition failure is only ever about the caller's own expectation
 * ({@code expectedVersion}), never about the store's internal writes.
 *
 * <p>Thread-safe; futures complete as described in {@link Store}. Operations naming a document
 * that does not exist complete with {@link NotFoundException}.
 */
public interface DocumentStore {
    /** Longest indexed token, in code points. */
    int MAX_TERM_LENGTH = 64;
    /** Most distinct terms in a query. */
    int MAX_QUERY_TERMS = 16;
    /** Largest document content, as encoded JSON bytes (64 KiB). */
    int MAX_CONTENT_BYTES = 64 * 1024;

    /**
     * Stores a new document and its index entries.
     *
     * <p>If the outcome is unknown the future fails with
     * {@link dev.polystore.document.DocumentOutcomeUnknownException}, whose
     * {@code documentId()} is the id the document has if it was added: read it back with
     * {@link #getDocument(long)}. Retrying blindly may add a second document; use
     * {@link #addDocument(NewDocument, String)} where retries must be safe.
     *
     * @return its id, allocated without a shared counter write per document and unique across
     *         concurrent writers and processes (ids are positive, not necessarily consecutive)
     */
    CompletableFuture<Long> addDocument(NewDocument document);

    /**
     * Stores a new document unless a call with the same {@code requestId} already did:
     * idempotent, so a caller may retry after {@link UnavailableException} or
     * {@link OutcomeUnknownException} with the same request id and gets the same document's id,
     * never a second document (also when the calls race). The request id is recorded with the
     * document in its first atomic write (item {@code docreq#<requestId>}, kept after the
     * document changes or is deleted, so a late retry still answers with the same id; a repeat's
     * content is not compared with the first call's).
     *
     * @param requestId chosen by the caller, unique per document to add (a UUID, say): 1 to 64
     *                  characters from {@code A-Z a-z 0-9 _ . -}, starting with a letter or digit
     * @return the id of the document this request id added
     */
    CompletableFuture<Long> addDocument(NewDocument document, String requestId);

    /**
     * The document, or empty if there is none (or it is being deleted). A change left unfinished
     * by a writer that failed between steps is completed first (best effort), so a recorded
     * change reported as "outcome unknown" is visible here once it is.
     */
    CompletableFuture<Optional<Document>> getDocument(long id);

    /**
     * Replaces a document's content if it still has {@code expectedVersion}, re-indexing it;
     * otherwise completes with {@link ConditionFailedException}. Of concurrent updates from one
     * version exactly one wins.
     *
     * @return the document as written, at {@code expectedVersion + 1}
     */
    CompletableFuture<Document> updateDocument(long id, long expectedVersion, NewDocument document);

    /**
     * Deletes a document with its index entries and every link from or to it.
     *
     * @return whether the document existed (of concurrent deletes exactly one sees {@code true})
     */
    CompletableFuture<Boolean> deleteDocument(long id);

    /**
     * Documents matching every term of {@code query}, best first, at most {@code limit}
     * (1 to {@value Limits#MAX_PAGE_SIZE}).
     */
    CompletableFuture<List<SearchHit>> search(String query, int limit);

    /**
     * Links {@code from} to {@code to} with {@code type}; both documents must exist (a document
     * may link to itself). Idempotent.
     */
    CompletableFuture<Link> link(long from, long to, String type);

    /** Removes a link. @return whether it existed */
    CompletableFuture<Boolean> unlink(long from, long to, String type);

    /**
     * Links going out of {@code id}, ordered by type then target id. Links to a document whose
     * delete has not finished are left out (and that delete is completed).
     */
    CompletableFuture<List<Link>> linksFrom(long id);

    /** Links coming into {@code id}, ordered by type then source id; as {@link #linksFrom(long)}. */
    CompletableFuture<List<Link>> linksTo(long id);
}
