package dev.polystore;

import dev.polystore.document.Document;
import dev.polystore.document.Link;
import dev.polystore.document.NewDocument;
import dev.polystore.document.SearchHit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Documents with full-text search and typed links between them. From
 * {@link Storage#documents()}.
 *
 * <p><b>Search semantics</b>, the same on every backend: title and body are split into terms
 * at every character that is not a letter or digit, terms are case-folded (Unicode, root
 * locale), a query matches the documents that contain every one of its terms, results come by
 * relevance (higher score first) with ties broken by ascending id. See
 * {@code docs/domain-stores.md} for the exact definition.
 *
 * <p>Thread-safe; futures complete as described in {@link Store}. Operations naming a document
 * that does not exist complete with {@link NotFoundException}.
 */
public interface DocumentStore {

    /** Stores a new document and its index entries atomically. @return its id */
    CompletableFuture<Long> addDocument(NewDocument document);

    CompletableFuture<Optional<Document>> getDocument(long id);

    /**
     * Replaces a document's content if it still has {@code expectedVersion}, re-indexing it in
     * the same atomic write; otherwise {@link ConditionFailedException}.
     */
    CompletableFuture<Document> updateDocument(long id, long expectedVersion, NewDocument document);

    /**
     * Deletes a document with its index entries and every link from or to it, atomically.
     *
     * @return whether the document existed
     */
    CompletableFuture<Boolean> deleteDocument(long id);

    /** Documents matching every term of {@code query}, best first, at most {@code limit}. */
    CompletableFuture<List<SearchHit>> search(String query, int limit);

    /** Links {@code from} to {@code to} with {@code type}; both documents must exist. Idempotent. */
    CompletableFuture<Link> link(long from, long to, String type);

    /** Removes a link. @return whether it existed */
    CompletableFuture<Boolean> unlink(long from, long to, String type);

    /** Links going out of {@code id}, ordered by type then target id. */
    CompletableFuture<List<Link>> linksFrom(long id);

    /** Links coming into {@code id}, ordered by type then source id. */
    CompletableFuture<List<Link>> linksTo(long id);
}
