package dev.polystore.internal.domain;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polystore.Capability;
import dev.polystore.Codec;
import dev.polystore.CodecException;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.DocumentStore;
import dev.polystore.Item;
import dev.polystore.JacksonCodec;
import dev.polystore.Key;
import dev.polystore.Limits;
import dev.polystore.NotFoundException;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.StoreException;
import dev.polystore.Transaction;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import dev.polystore.document.Document;
import dev.polystore.document.DocumentOutcomeUnknownException;
import dev.polystore.document.Link;
import dev.polystore.document.NewDocument;
import dev.polystore.document.SearchHit;
import dev.polystore.internal.Futures;
import dev.polystore.spi.SearchIndex;
import dev.polystore.spi.SearchTerms;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link DocumentStore} over the public API, with an optional native {@link SearchIndex}.
 * Item layout (table {@value #TABLE}):
 * <pre>
 * pk doc#&lt;id&gt;     sk doc                          the document's state: version, metadata, dates, work in progress
 * pk doc#&lt;id&gt;     sk doc#text                     its current title and body (what search indexes)
 * pk doc#&lt;id&gt;     sk link&gt;#&lt;type&gt;#&lt;to, 19 digits&gt;   an outgoing link
 * pk doc#&lt;id&gt;     sk link&lt;#&lt;type&gt;#&lt;from, 19 digits&gt; an incoming link (mirror of the outgoing one)
 * pk term#&lt;term&gt;   sk &lt;id, 19 digits&gt;               posting: the document contains the term
 * pk docseq        sk docseq                       id counter (next unreserved id)
 * pk docreq#&lt;request id&gt;  sk docreq          the id an addDocument with that request id created
 * </pre>
 *
 * <p><b>Invariant</b> that makes search exact at every instant: for every text item and every
 * term of it, the posting exists. Postings may transiently (or, after a writer crashed,
 * until the document is next written) exist for terms a document no longer contains; search
 * therefore verifies every candidate against its text item, so extra postings never show.
 *
 * <p><b>Writes as steps.</b> Every change is a sequence of transactions of at most
 * {@code maxOps} operations, each including the state item under {@code ifVersion} (or
 * {@code ifAbsent} when it is created), so steps of one document are serialized and a step
 * planned from an outdated state cannot apply. The state item records the work left
 * ({@code pending}: content being indexed and the terms still to post; {@code stale}: terms
 * whose postings must go; {@code deleting}), so any writer that finds unfinished work
 * completes it deterministically before starting its own ("roll forward"); so does a reader
 * ({@code getDocument}, link listings) that meets it, best effort. Order of a change:
 * post the new terms; then, in one transaction, replace the text item (the change becomes
 * visible) and record the terms that left as stale; then remove their postings. A small
 * document takes a single transaction. A delete first removes the text item (the document
 * disappears from reads and search), then postings, then links (both halves of each in one
 * transaction), then the state item.
 */
public final class DefaultDocumentStore implements DocumentStore {
    /** The table (store name) documents live in. */
    public static final String TABLE = "documents";

    static final String STATE_SK = "doc";
    static final String TEXT_SK = SearchIndex.TEXT_SORT_KEY;
    static final String OUT = "link>#";
    static final String IN = "link<#";
    static final String REQUEST_PK_PREFIX = "docreq#";
    static final String REQUEST_SK = "docreq";
    private static final int MAX_SETTLE_CONFLICTS = 64;
    private static final int MAX_SETTLE_FAULTS = 8;
    private static final Logger LOG = LoggerFactory.getLogger(DefaultDocumentStore.class);
    private static final int READ_ATTEMPTS = 8;

    private final Storage storage;
    private final Clock clock;
    private final int maxOps;
    private final SearchIndex nativeIndex;
    private final ObjectMapper mapper = JacksonCodec.defaultMapper();
    private final Store<DocState> states;
    private final Store<DocText> texts;
    private final Store<Posting> postings;
    private final Store<Link> links;
    private final Store<byte[]> raw;
    private final Store<Request> requests;
    private final IdAllocator ids;
    private volatile CompletableFuture<Void> nativePrepared;

    /** Content as given by the caller. */
    record Content(String title, String body, Map<String, String> metadata) {
        Content {
            metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
        }

        String text() {
            return title + "\n" + body;
        }
    }

    /** A change being applied: the new content and the terms still to post (ascending). */
    record Pending(Content content, Instant at, List<String> toIndex) {
        Pending {
            toIndex = toIndex == null ? List.of() : List.copyOf(toIndex);
        }
    }

    /** The state item. {@code version} is the version of the current content (0 before the first). */
    record DocState(long id, long version, Instant createdAt, Instant updatedAt, Map<String, String> metadata,
                    Pending pending, List<String> stale, boolean deleting) {
        DocState {
            metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
            stale = stale == null ? List.of() : List.copyOf(stale);
        }

        boolean settled() {
            return pending == null && stale.isEmpty() && !deleting;
        }

        boolean visible() {
            return version > 0 && !deleting;
        }
    }

    /** The text item: current title and body, with the version they belong to. */
    record DocText(long version, String title, String body) {
        String text() {
            return title + "\n" + body;
        }
    }

    /** A posting's payload: the document id (also in its sort key). */
    record Posting(long id) {
    }

    /** A request item's payload: the document an {@code addDocument(document, requestId)} created. */
    record Request(long id) {
    }

    /** A document's state and text items as read together. */
    private record Loaded(Item<DocState> state, DocText text) {
    }

    public DefaultDocumentStore(Storage storage, Clock clock, SearchIndex nativeIndex) {
        this.storage = Objects.requireNonNull(storage, "storage");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.nativeIndex = nativeIndex;
        this.maxOps = Math.min(100, storage.capabilities().maxTransactionItems());
        if (maxOps < 8) {
            throw new ValidationException("the document store needs transactions of at least 8 operations; backend '"
                    + storage.backend() + "' allows " + maxOps);
        }
        this.states = storage.store(TABLE, DocState.class);
        this.texts = storage.store(TABLE, DocText.class);
        this.postings = storage.store(TABLE, Posting.class);
        this.links = storage.store(TABLE, Link.class);
        this.raw = storage.store(TABLE, Codec.bytes());
        this.requests = storage.store(TABLE, Request.class);
        this.ids = new IdAllocator(storage.store(TABLE, IdAllocator.IdBlock.class));
    }

    static String pk(long id) {
        return SearchIndex.DOCUMENT_PK_PREFIX + id;
    }

    static String requestPk(String requestId) {
        return REQUEST_PK_PREFIX + requestId;
    }

    static String termPk(String term) {
        return "term#" + term;
    }

    static String idSk(long id) {
        return String.format("%019d", id);
    }

    static Key outKey(Link l) {
        return Key.of(pk(l.from()), OUT + l.type() + "#" + idSk(l.to()));
    }

    static Key inKey(Link l) {
        return Key.of(pk(l.to()), IN + l.type() + "#" + idSk(l.from()));
    }

    // --- documents ---

    @Override
    public CompletableFuture<Long> addDocument(NewDocument document) {
        return DefaultDialogueStore.guarded(() -> add(validContent(document), null));
    }

    @Override
    public CompletableFuture<Long> addDocument(NewDocument document, String requestId) {
        return DefaultDialogueStore.guarded(() -> {
            Content content = validContent(document);
            return add(content, Ids.requireId("request id", requestId));
        });
    }

    /** What the first transaction of an add left: the id, and whether the document is complete. */
    private record Added(long id, boolean settled) {
    }

    private CompletableFuture<Long> add(Content content, String requestId) {
        List<String> terms = new ArrayList<>(SearchTerms.frequencies(content.text()).keySet());
        CompletableFuture<Long> id = DomainErrors.write(ids.next(), "adding a document", null);
        return id.thenCompose(newId -> Retries.withRetries("addDocument", () -> attemptAdd(newId, content, terms, requestId))
                .handle((added, e) -> {
                    if (e == null) {
                        return CompletableFuture.completedFuture(added);
                    }
                    Throwable cause = Futures.unwrap(e);
                    if (cause instanceof OutcomeUnknownException) {
                        return CompletableFuture.<Added>failedFuture(new DocumentOutcomeUnknownException("adding document "
                                + newId + " may or may not have been applied (" + cause.getMessage() + "); read it "
                                + "back with getDocument(" + newId + ")" + (requestId == null ? ""
                                : ", or call addDocument again with the same request id"), newId, cause));
                    }
                    return CompletableFuture.<Added>failedFuture(DomainErrors.translate("adding a document", null, cause));
                }).thenCompose(f -> f)
                .thenCompose(added -> added.settled() ? CompletableFuture.completedFuture(added.id())
                        : finish(added.id(), "adding").thenApply(v -> added.id())));
    }

    /**
     * One attempt of an add: the first transaction creates the state item under {@code ifAbsent}
     * (with as much of the work as fits), and the request item when there is a request id.
     */
    private CompletableFuture<Added> attemptAdd(long id, Content content, List<String> terms, String requestId) {
        CompletableFuture<Optional<Item<Request>>> earlier = requestId == null
                ? CompletableFuture.completedFuture(Optional.empty())
                : requests.get(requestPk(requestId), REQUEST_SK);
        return earlier.thenCompose(request -> {
            if (request.isPresent()) {
                // An earlier call with this request id added the document (or is adding it).
                return CompletableFuture.completedFuture(new Added(request.get().value().id(), false));
            }
            Instant now = clock.instant();
            DocState initial = new DocState(id, 0, now, now, Map.of(), new Pending(content, now, terms), List.of(),
                    false);
            Transaction tx = storage.transaction();
            int budget = maxOps - 1;
            if (requestId != null) {
                tx.put(requests, Item.of(requestPk(requestId), REQUEST_SK, new Request(id)), Condition.ifAbsent());
                budget--;
            }
            DocState next = applySteps(initial, null, tx, budget, null);
            putState(tx, id, next, 0);
            return tx.commit().handle((v, e) -> {
                if (e == null) {
                    return CompletableFuture.completedFuture(new Added(id, next.settled()));
                }
                Throwable cause = Futures.unwrap(e);
                if (!(cause instanceof ConditionFailedException)) {
                    return CompletableFuture.<Added>failedFuture(cause);
                }
                if (requestId == null) {
                    // Only the state item has a condition, and its id is ours alone: an earlier
                    // attempt of this call created it (reported as not written by the engine).
                    return CompletableFuture.completedFuture(new Added(id, false));
                }
                // A concurrent call with the same request id came first: answer with its document.
                return requests.get(requestPk(requestId), REQUEST_SK).thenCompose(found -> found.isPresent()
                        ? CompletableFuture.completedFuture(new Added(found.get().value().id(), false))
                        : Retries.<Added>retry("request item changed"));
            }).thenCompose(f -> f);
        });
    }

    @Override
    public CompletableFuture<Optional<Document>> getDocument(long id) {
        return DefaultDialogueStore.guarded(() -> {
            requireId(id);
            return readDocument(id, 1, false);
        });
    }

    /**
     * Reads a document; if its state records unfinished work (an add, update or delete whose
     * writer failed or died), completes it first, best effort: if that fails, the document is
     * read as it is, which is always consistent (the content before the change, or none).
     */
    private CompletableFuture<Optional<Document>> readDocument(long id, int attempt, boolean rolledForward) {
        return load(id).thenCompose(l -> {
            if (!rolledForward && l.state() != null && !l.state().value().settled()) {
                return rollForward(id).thenCompose(v -> readDocument(id, attempt, true));
            }
            if (l.state() == null || !l.state().value().visible() || l.text() == null) {
                return CompletableFuture.completedFuture(Optional.<Document>empty());
            }
            DocState s = l.state().value();
            if (l.text().version() != s.version()) {
                // The two items were read on either side of a change (engines without snapshot reads).
                if (attempt >= READ_ATTEMPTS) {
                    return CompletableFuture.failedFuture(new UnavailableException("document " + id
                            + " kept changing while being read; try again", null));
                }
                return readDocument(id, attempt + 1, rolledForward);
            }
            return CompletableFuture.completedFuture(Optional.of(new Document(id, l.text().title(), l.text().body(),
                    s.metadata(), s.version(), s.createdAt(), s.updatedAt())));
        });
    }

    /** {@link #settle}, for readers: a failure is logged, not reported (the reader reads what is there). */
    private CompletableFuture<Void> rollForward(long id) {
        return settle(id).handle((v, e) -> {
            if (e != null) {
                LOG.debug("Completing the unfinished change of document {} failed; reading it as it is: {}", id,
                        Futures.unwrap(e).toString());
            }
            return null;
        });
    }

    /** An update's answer, and whether its first transaction finished it. */
    private record Updated(Document document, boolean settled) {
    }

    @Override
    public CompletableFuture<Document> updateDocument(long id, long expectedVersion, NewDocument document) {
        return DefaultDialogueStore.guarded(() -> {
            requireId(id);
            Content content = validContent(document);
            if (expectedVersion < 1) {
                throw new ValidationException("expectedVersion must be 1 or more (a document starts at version 1), got "
                        + expectedVersion);
            }
            // Read, check and the first transaction are retried; what follows it is not (a retry
            // would meet the caller's own change and report a conflict).
            CompletableFuture<Updated> claimed = Retries.withRetries("updateDocument(" + id + ")", () -> load(id)
                    .thenCompose(l -> {
                        if (l.state() == null) {
                            return CompletableFuture.failedFuture(notFound(id));
                        }
                        DocState s = l.state().value();
                        if (!s.settled()) {
                            // An add, update or delete left unfinished: complete it, then look again.
                            return settle(id).thenCompose(v -> Retries.<Updated>retry("finished an earlier change first"));
                        }
                        if (!s.visible()) {
                            return CompletableFuture.failedFuture(notFound(id));
                        }
                        if (s.version() != expectedVersion) {
                            return CompletableFuture.failedFuture(new ConditionFailedException("document " + id
                                    + " is at version " + s.version() + ", not " + expectedVersion
                                    + ": it changed since it was read", Key.of(pk(id), STATE_SK)));
                        }
                        Set<String> oldTerms = l.text() == null ? Set.of() : SearchTerms.frequencies(l.text().text()).keySet();
                        List<String> toIndex = new ArrayList<>(SearchTerms.frequencies(content.text()).keySet());
                        toIndex.removeAll(oldTerms);
                        Instant now = clock.instant();
                        DocState claim = new DocState(id, s.version(), s.createdAt(), s.updatedAt(), s.metadata(),
                                new Pending(content, now, toIndex), List.of(), false);
                        Transaction tx = storage.transaction();
                        DocState next = applySteps(claim, l.text(), tx, maxOps - 1, null);
                        putState(tx, id, next, l.state().version());
                        Document result = new Document(id, content.title(), content.body(), content.metadata(),
                                expectedVersion + 1, s.createdAt(), now);
                        return commitStep(tx).thenApply(v -> new Updated(result, next.settled()));
                    }));
            return inDoubtAbout(id, "updating", claimed).thenCompose(u -> u.settled()
                    ? CompletableFuture.completedFuture(u.document())
                    : finish(id, "updating").thenApply(v -> u.document()));
        });
    }

    @Override
    public CompletableFuture<Boolean> deleteDocument(long id) {
        return DefaultDialogueStore.guarded(() -> {
            requireId(id);
            CompletableFuture<Boolean> claimed = Retries.withRetries("deleteDocument(" + id + ")", () -> load(id)
                    .thenCompose(l -> {
                        if (l.state() == null) {
                            return CompletableFuture.completedFuture(false);
                        }
                        DocState s = l.state().value();
                        if (s.deleting()) {
                            // Another delete hid it first; completing that delete is all that is left.
                            return settle(id).thenApply(v -> false);
                        }
                        if (!s.settled()) {
                            // Includes an add left unfinished: it is completed, then deleted.
                            return settle(id).thenCompose(v -> Retries.<Boolean>retry("finished an earlier change first"));
                        }
                        List<String> stale = l.text() == null ? List.of()
                                : new ArrayList<>(SearchTerms.frequencies(l.text().text()).keySet());
                        DocState claim = new DocState(id, s.version(), s.createdAt(), clock.instant(), s.metadata(), null,
                                stale, true);
                        Transaction tx = storage.transaction().delete(texts, Key.of(pk(id), TEXT_SK));
                        DocState next = applySteps(claim, null, tx, maxOps - 2, null);
                        putState(tx, id, next, l.state().version());
                        return commitStep(tx).thenApply(v -> true);
                    }));
            return inDoubtAbout(id, "deleting", claimed).thenCompose(deleted -> deleted
                    ? finish(id, "deleting").thenApply(v -> true)
                    : CompletableFuture.completedFuture(false));
        });
    }

    /**
     * The first transaction's outcome in the document's words: an unknown outcome becomes a
     * {@link DocumentOutcomeUnknownException} naming the document, other failures pass with
     * their kind.
     */
    private <T> CompletableFuture<T> inDoubtAbout(long id, String what, CompletableFuture<T> firstStep) {
        return firstStep.handle((value, e) -> {
            if (e == null) {
                return value;
            }
            Throwable cause = Futures.unwrap(e);
            if (cause instanceof OutcomeUnknownException && !(cause instanceof DocumentOutcomeUnknownException)) {
                throw new DocumentOutcomeUnknownException(what + " document " + id + " may or may not have been "
                        + "applied (" + cause.getMessage() + "); read it back with getDocument(" + id + ")", id, cause);
            }
            throw DomainErrors.translate(what + " document " + id, Key.of(pk(id), STATE_SK), cause);
        });
    }

    // --- the step machine ---

    /**
     * Adds to {@code tx} as much of the work recorded in {@code s} as {@code budget} operations
     * allow, in order, and returns the state after it, or null if the state item itself is to
     * be deleted (the end of a delete). The caller adds the state item's write.
     *
     * @param currentText the text item now stored (needed to compute stale terms when a change
     *                    becomes visible)
     * @param linkPage link items of the document, if the caller read them (deletes only), and
     *                 whether that page was the last
     */
    private DocState applySteps(DocState s, DocText currentText, Transaction tx, int budget, LinkPage linkPage) {
        long id = s.id();
        DocState n = s;
        if (n.pending() != null) {
            List<String> toIndex = n.pending().toIndex();
            int take = Math.min(Math.max(budget - 1, 0), toIndex.size());
            for (String term : toIndex.subList(0, take)) {
                tx.put(postings, Item.of(termPk(term), idSk(id), new Posting(id)));
            }
            budget -= take;
            List<String> rest = toIndex.subList(take, toIndex.size());
            if (rest.isEmpty() && budget >= 1) {
                Content c = n.pending().content();
                Set<String> newTerms = SearchTerms.frequencies(c.text()).keySet();
                TreeSet<String> stale = new TreeSet<>(n.stale());
                if (currentText != null) {
                    stale.addAll(SearchTerms.frequencies(currentText.text()).keySet());
                }
                stale.removeAll(newTerms);
                long version = n.version() + 1;
                tx.put(texts, Item.of(pk(id), TEXT_SK, new DocText(version, c.title(), c.body())));
                budget -= 1;
                n = new DocState(id, version, n.createdAt(), n.pending().at(), c.metadata(), null,
                        List.copyOf(stale), false);
            } else {
                n = new DocState(id, n.version(), n.createdAt(), n.updatedAt(), n.metadata(),
                        new Pending(n.pending().content(), n.pending().at(), rest), n.stale(), n.deleting());
            }
        }
        if (n.pending() == null && !n.stale().isEmpty() && budget > 0) {
            int take = Math.min(budget, n.stale().size());
            for (String term : n.stale().subList(0, take)) {
                tx.delete(postings, Key.of(termPk(term), idSk(id)));
            }
            budget -= take;
            n = new DocState(id, n.version(), n.createdAt(), n.updatedAt(), n.metadata(), null,
                    n.stale().subList(take, n.stale().size()), n.deleting());
        }
        if (n.deleting() && n.pending() == null && n.stale().isEmpty() && linkPage != null) {
            Set<Key> keys = new LinkedHashSet<>();
            boolean all = true;
            for (Link l : linkPage.links()) {
                Set<Key> pair = new LinkedHashSet<>(List.of(outKey(l), inKey(l)));
                pair.removeAll(keys);
                if (keys.size() + pair.size() > budget) {
                    all = false;
                    break;
                }
                keys.addAll(pair);
            }
            keys.forEach(k -> tx.delete(links, k));
            if (all && linkPage.last()) {
                return null;
            }
        }
        return n;
    }

    private record LinkPage(List<Link> links, boolean last) {
    }

    private void putState(Transaction tx, long id, DocState next, long itemVersion) {
        Key key = Key.of(pk(id), STATE_SK);
        Condition condition = itemVersion == 0 ? Condition.ifAbsent() : Condition.ifVersion(itemVersion);
        if (next == null) {
            tx.delete(states, key, condition);
        } else {
            tx.put(states, Item.of(key, next), condition);
        }
    }

    /** Commits a step; a failed condition means another writer moved the document first. */
    private CompletableFuture<Void> commitStep(Transaction tx) {
        return tx.commit().handle((v, e) -> {
            if (e == null) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            Throwable cause = Futures.unwrap(e);
            return cause instanceof ConditionFailedException ? Retries.<Void>retry("document changed")
                    : CompletableFuture.<Void>failedFuture(cause);
        }).thenCompose(f -> f);
    }

    /**
     * Completes a change whose first step committed. Once that step is durable the change will
     * be completed, by this call or by the next reader or writer that meets the document, so a
     * failure from here on is reported as {@link DocumentOutcomeUnknownException}, not as a
     * change that failed.
     */
    private CompletableFuture<Void> finish(long id, String what) {
        return settle(id).handle((v, e) -> {
            if (e == null) {
                return null;
            }
            Throwable cause = Futures.unwrap(e);
            throw new DocumentOutcomeUnknownException(what + " document " + id + " was recorded but not finished ("
                    + cause.getMessage() + "); the next read or write of the document completes it: read it back "
                    + "with getDocument(" + id + ")", id, cause);
        });
    }

    /** Completes whatever work the document's state records, whoever started it. */
    private CompletableFuture<Void> settle(long id) {
        return settle(id, 0, 0, null);
    }

    /**
     * One step, then the rest. A step that lost a race ({@link ConditionFailedException}), wrote
     * nothing ({@link UnavailableException}) or may have been applied
     * ({@link OutcomeUnknownException}) is planned again from a fresh read: every step is
     * conditional on the state it was planned from, so repeating one never applies it twice.
     *
     * @param conflicts lost races in a row
     * @param faults failed reads or steps in a row
     * @param done what our last committed step was planned from, or null: if the document still
     *             shows exactly that work after the step committed, the engine did not apply it
     */
    private CompletableFuture<Void> settle(long id, int conflicts, int faults, Planned done) {
        return settleStep(id, done).handle((planned, e) -> {
            if (e == null) {
                return planned == null ? CompletableFuture.<Void>completedFuture(null) : settle(id, 0, 0, planned);
            }
            Throwable cause = Futures.unwrap(e);
            if (cause instanceof ConditionFailedException) {
                if (conflicts < MAX_SETTLE_CONFLICTS) {
                    // Another writer moved the document first (perhaps doing this very step).
                    return settle(id, conflicts + 1, faults, null);
                }
                return CompletableFuture.<Void>failedFuture(new UnavailableException("document " + id
                        + " kept changing while its unfinished change was being completed (" + conflicts
                        + " lost races); try again", null));
            }
            if ((cause instanceof UnavailableException || cause instanceof OutcomeUnknownException)
                    && faults < MAX_SETTLE_FAULTS) {
                return Retries.pause(faults + 1).thenCompose(x -> settle(id, conflicts, faults + 1, null));
            }
            return CompletableFuture.<Void>failedFuture(cause);
        }).thenCompose(f -> f);
    }

    /** Plans and commits the next step of the document's recorded work; @return what it was planned from, or null if there is none */
    private CompletableFuture<Planned> settleStep(long id, Planned done) {
        return load(id).thenCompose(l -> {
            if (l.state() == null || l.state().value().settled()) {
                return CompletableFuture.<Planned>completedFuture(null);
            }
            DocState s = l.state().value();
            boolean needLinks = s.deleting() && s.pending() == null && s.stale().isEmpty();
            CompletableFuture<LinkPage> page = needLinks ? linkPage(id, maxOps - 1)
                    : CompletableFuture.completedFuture(null);
            return page.thenCompose(p -> {
                Planned planned = new Planned(s, p);
                if (planned.equals(done)) {
                    return CompletableFuture.<Planned>failedFuture(new StoreException("backend '" + storage.backend()
                            + "' committed a step of document " + id + " but the document's items did not change: "
                            + "its transactions lose writes"));
                }
                Transaction tx = storage.transaction();
                DocState next = applySteps(s, l.text(), tx, maxOps - 1, p);
                putState(tx, id, next, l.state().version());
                return tx.commit().thenApply(v -> planned);
            });
        });
    }

    /** The work a step was planned from. */
    private record Planned(DocState state, LinkPage links) {
    }

    private CompletableFuture<LinkPage> linkPage(long id, int limit) {
        return links.query(Query.partition(pk(id)).prefix("link").limit(limit))
                .thenApply(p -> new LinkPage(p.items().stream().map(Item::value).toList(), !p.hasMore()));
    }

    /** The state and text items of a document, read with one partition query. */
    private CompletableFuture<Loaded> load(long id) {
        return raw.query(Query.partition(pk(id)).prefix(STATE_SK).limit(10)).thenApply(page -> {
            Item<DocState> state = null;
            DocText text = null;
            for (Item<byte[]> item : page.items()) {
                if (item.sk().equals(STATE_SK)) {
                    state = item.withValue(decode(item, DocState.class));
                } else if (item.sk().equals(TEXT_SK)) {
                    text = decode(item, DocText.class);
                }
            }
            return new Loaded(state, text);
        });
    }

    // --- search ---

    @Override
    public CompletableFuture<List<SearchHit>> search(String query, int limit) {
        return DefaultDialogueStore.guarded(() -> {
            Objects.requireNonNull(query, "query");
            if (limit < 1 || limit > Limits.MAX_PAGE_SIZE) {
                throw new ValidationException("search limit must be between 1 and " + Limits.MAX_PAGE_SIZE + ", got "
                        + limit);
            }
            List<String> terms = SearchTerms.queryTerms(query);
            if (terms.size() > MAX_QUERY_TERMS) {
                throw new ValidationException("query has " + terms.size() + " distinct terms; at most "
                        + MAX_QUERY_TERMS + " are allowed");
            }
            if (terms.isEmpty() || !terms.stream().allMatch(SearchTerms::indexable)) {
                return CompletableFuture.completedFuture(List.of());
            }
            return nativeIndex != null ? nativeSearch(terms, limit) : portableSearch(terms, limit);
        });
    }

    private CompletableFuture<List<SearchHit>> portableSearch(List<String> terms, int limit) {
        List<CompletableFuture<Set<Long>>> lists = new ArrayList<>();
        for (String term : terms) {
            Set<Long> found = new HashSet<>();
            lists.add(postings.forEach(Query.partition(termPk(term)).limit(Limits.MAX_PAGE_SIZE),
                    item -> found.add(item.value().id())).thenApply(n -> found));
        }
        return CompletableFuture.allOf(lists.toArray(CompletableFuture[]::new)).thenCompose(v -> {
            List<Set<Long>> sets = lists.stream().map(CompletableFuture::join)
                    .sorted(Comparator.comparingInt(Set::size)).toList();
            Set<Long> candidates = new HashSet<>(sets.get(0));
            for (Set<Long> s : sets.subList(1, sets.size())) {
                candidates.retainAll(s);
            }
            return readTexts(candidates);
        }).thenApply(found -> {
            List<SearchHit> hits = new ArrayList<>();
            for (Map.Entry<Long, DocText> e : found.entrySet()) {
                Map<String, Integer> freq = SearchTerms.frequencies(e.getValue().text());
                int score = 0;
                boolean all = true;
                for (String term : terms) {
                    Integer n = freq.get(term);
                    if (n == null) {
                        all = false;
                        break;
                    }
                    score += n;
                }
                if (all) {
                    hits.add(new SearchHit(e.getKey(), e.getValue().title(), score));
                }
            }
            hits.sort(RELEVANCE);
            return List.copyOf(hits.subList(0, Math.min(limit, hits.size())));
        });
    }

    private static final Comparator<SearchHit> RELEVANCE =
            Comparator.comparingDouble(SearchHit::score).reversed().thenComparingLong(SearchHit::id);

    private CompletableFuture<List<SearchHit>> nativeSearch(List<String> terms, int limit) {
        return prepareNative().thenCompose(v -> Futures.guard(storage.backend(),
                        () -> nativeIndex.search(TABLE, terms, limit)))
                .thenCompose(matches -> {
                    Map<Long, Double> scores = new HashMap<>();
                    for (SearchIndex.Match m : matches) {
                        if (!m.pk().startsWith(SearchIndex.DOCUMENT_PK_PREFIX)) {
                            throw new StoreException("backend '" + storage.backend() + "' search index returned "
                                    + "partition key " + m.pk() + ", which is not a document's");
                        }
                        scores.put(Long.parseLong(m.pk().substring(SearchIndex.DOCUMENT_PK_PREFIX.length())), m.score());
                    }
                    return readTexts(scores.keySet()).thenApply(found -> {
                        List<SearchHit> hits = new ArrayList<>();
                        found.forEach((id, text) -> hits.add(new SearchHit(id, text.title(), scores.get(id))));
                        hits.sort(RELEVANCE);
                        return List.copyOf(hits.subList(0, Math.min(limit, hits.size())));
                    });
                });
    }

    private CompletableFuture<Void> prepareNative() {
        CompletableFuture<Void> p = nativePrepared;
        if (p == null || p.isCompletedExceptionally()) {
            // A read first, so the table is prepared before the index over it.
            p = states.get(pk(1), STATE_SK).thenCompose(x -> Futures.guard(storage.backend(),
                    () -> nativeIndex.prepareIndex(TABLE)));
            nativePrepared = p;
        }
        return p;
    }

    /** The text items of these documents (absent ones left out). */
    private CompletableFuture<Map<Long, DocText>> readTexts(Set<Long> docIds) {
        List<Key> keys = docIds.stream().sorted().map(id -> Key.of(pk(id), TEXT_SK)).toList();
        if (keys.isEmpty()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        if (storage.capabilities().has(Capability.BATCH)) {
            return texts.batchGet(keys).thenApply(found -> {
                Map<Long, DocText> out = new HashMap<>();
                found.forEach((k, item) -> out.put(Long.parseLong(k.pk().substring(4)), item.value()));
                return out;
            });
        }
        List<CompletableFuture<Optional<Item<DocText>>>> reads = keys.stream().map(texts::get).toList();
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> {
            Map<Long, DocText> out = new HashMap<>();
            reads.forEach(r -> r.join().ifPresent(item -> out.put(Long.parseLong(item.pk().substring(4)), item.value())));
            return out;
        });
    }

    // --- links ---

    @Override
    public CompletableFuture<Link> link(long from, long to, String type) {
        return DefaultDialogueStore.guarded(() -> {
            requireId(from);
            requireId(to);
            Link link = new Link(from, to, Ids.requireLinkType(type));
            CompletableFuture<Link> linked = Retries.withRetries("link(" + from + ", " + to + ", " + type + ")",
                    () -> visibleState(from, false).thenCombine(visibleState(to, false), (a, b) -> {
                        // Conditional on both states, so a document being deleted cannot gain a link.
                        Transaction tx = storage.transaction().check(states, a.key(), Condition.ifVersion(a.version()));
                        if (from != to) {
                            tx.check(states, b.key(), Condition.ifVersion(b.version()));
                        }
                        tx.put(links, Item.of(outKey(link), link)).put(links, Item.of(inKey(link), link));
                        return commitStep(tx).thenApply(v -> link);
                    }).thenCompose(f -> f));
            return DomainErrors.write(linked, "linking document " + from + " to " + to + " (" + type + ")", outKey(link));
        });
    }

    @Override
    public CompletableFuture<Boolean> unlink(long from, long to, String type) {
        return DefaultDialogueStore.guarded(() -> {
            requireId(from);
            requireId(to);
            Link link = new Link(from, to, Ids.requireLinkType(type));
            CompletableFuture<Boolean> unlinked = links.get(outKey(link)).thenCompose(found -> {
                if (found.isEmpty()) {
                    return CompletableFuture.completedFuture(false);
                }
                return storage.transaction()
                        .delete(links, outKey(link), Condition.ifExists())
                        .delete(links, inKey(link), Condition.ifExists())
                        .commit().handle((v, e) -> {
                            if (e == null) {
                                return true;
                            }
                            Throwable cause = Futures.unwrap(e);
                            if (cause instanceof ConditionFailedException) {
                                return false;
                            }
                            throw cause instanceof StoreException se ? se : new StoreException(cause.toString(), cause);
                        });
            });
            return DomainErrors.write(unlinked, "unlinking document " + from + " from " + to + " (" + type + ")",
                    outKey(link));
        });
    }

    @Override
    public CompletableFuture<List<Link>> linksFrom(long id) {
        return listLinks(id, OUT);
    }

    @Override
    public CompletableFuture<List<Link>> linksTo(long id) {
        return listLinks(id, IN);
    }

    /**
     * The links of a visible document whose other end is visible too: a link to a document whose
     * delete is unfinished (its writer failed between steps) is left out, and that delete is
     * completed on the way, best effort.
     */
    private CompletableFuture<List<Link>> listLinks(long id, String prefix) {
        return DefaultDialogueStore.guarded(() -> {
            requireId(id);
            return visibleState(id, true).thenCompose(s -> links.query(pk(id), prefix)).thenCompose(items -> {
                List<Link> all = items.stream().map(Item::value).toList();
                Set<Long> others = new TreeSet<>();
                for (Link l : all) {
                    others.add(prefix.equals(OUT) ? l.to() : l.from());
                }
                others.remove(id);
                return visibleAmong(others).thenApply(visible -> all.stream().filter(l -> {
                    long other = prefix.equals(OUT) ? l.to() : l.from();
                    return other == id || visible.contains(other);
                }).toList());
            });
        });
    }

    /** Which of these documents are visible; those found half-deleted are completed on the way, best effort. */
    private CompletableFuture<Set<Long>> visibleAmong(Set<Long> docIds) {
        if (docIds.isEmpty()) {
            return CompletableFuture.completedFuture(Set.of());
        }
        List<Key> keys = docIds.stream().map(d -> Key.of(pk(d), STATE_SK)).toList();
        CompletableFuture<List<Item<DocState>>> found;
        if (storage.capabilities().has(Capability.BATCH)) {
            found = states.batchGet(keys).thenApply(m -> List.copyOf(m.values()));
        } else {
            List<CompletableFuture<Optional<Item<DocState>>>> reads = keys.stream().map(states::get).toList();
            found = CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> reads.stream()
                    .map(CompletableFuture::join).flatMap(Optional::stream).toList());
        }
        return found.thenCompose(items -> {
            Set<Long> visible = new HashSet<>();
            List<CompletableFuture<Void>> completing = new ArrayList<>();
            for (Item<DocState> item : items) {
                DocState s = item.value();
                if (s.visible()) {
                    visible.add(s.id());
                } else if (s.deleting()) {
                    completing.add(rollForward(s.id()));
                }
            }
            return CompletableFuture.allOf(completing.toArray(CompletableFuture[]::new)).thenApply(v -> visible);
        });
    }

    /**
     * The state item of a visible document, or {@link NotFoundException}. Unfinished work found
     * on the way is completed first (an add left unfinished becomes visible, a delete left
     * unfinished is finished); if that fails, a writer ({@code bestEffort} false) fails with it,
     * a reader goes on with the state as it is.
     */
    private CompletableFuture<Item<DocState>> visibleState(long id, boolean bestEffort) {
        return states.get(pk(id), STATE_SK).thenCompose(found -> {
            if (found.isEmpty() || found.get().value().settled()) {
                return CompletableFuture.completedFuture(found);
            }
            CompletableFuture<Void> completed = bestEffort ? rollForward(id) : settle(id);
            return completed.thenCompose(v -> states.get(pk(id), STATE_SK));
        }).thenApply(found -> found.filter(i -> i.value().visible()).orElseThrow(() -> notFound(id)));
    }

    // --- helpers ---

    private static NotFoundException notFound(long id) {
        return new NotFoundException("document " + id + " does not exist");
    }

    private static void requireId(long id) {
        if (id < 1) {
            throw new ValidationException("document ids are 1 or more, got " + id);
        }
    }

    private Content validContent(NewDocument document) {
        Objects.requireNonNull(document, "document");
        Content content = new Content(document.title(), document.body(), document.metadata());
        int size;
        try {
            size = mapper.writeValueAsBytes(content).length;
        } catch (JsonProcessingException e) {
            throw new CodecException("cannot encode document content: " + e.getOriginalMessage(), e);
        }
        if (size > MAX_CONTENT_BYTES) {
            throw new ValidationException("document content is " + size + " bytes as JSON; the limit is "
                    + MAX_CONTENT_BYTES + " bytes (DocumentStore.MAX_CONTENT_BYTES)");
        }
        return content;
    }

    private <T> T decode(Item<byte[]> item, Class<T> type) {
        try {
            return mapper.readValue(item.value(), type);
        } catch (IOException e) {
            throw new CodecException("cannot decode item " + item.key() + " of store '" + TABLE + "' as "
                    + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }
}
