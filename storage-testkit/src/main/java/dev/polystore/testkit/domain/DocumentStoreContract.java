package dev.polystore.testkit.domain;

import static dev.polystore.testkit.domain.Await.await;
import static dev.polystore.testkit.domain.Await.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Capability;
import dev.polystore.Codec;
import dev.polystore.ConditionFailedException;
import dev.polystore.DocumentStore;
import dev.polystore.Item;
import dev.polystore.NotFoundException;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.UnsupportedCapabilityException;
import dev.polystore.ValidationException;
import dev.polystore.document.Document;
import dev.polystore.document.Link;
import dev.polystore.document.NewDocument;
import dev.polystore.document.SearchHit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInfo;

/**
 * Contract of {@link DocumentStore} ({@code Storage.documents()}): round-trips, versions and
 * concurrent updates, id allocation, the portable search semantics (also on a generated corpus
 * of {@value #CORPUS_SIZE} documents), links listed from either end, and deletes that leave no
 * orphan items (checked against the documented item layout).
 *
 * <p><b>Implementors must provide</b> {@link #config(java.nio.file.Path)} (see
 * {@link DomainContract}).
 *
 * <p><b>Implementors may override</b> {@link #afterClose()}, {@link #racers()} (concurrent
 * writers in race tests, default 8) and {@link #writeParallelism()} (documents added at once
 * while building the corpus, default 16).
 *
 * <p>Every backend must return the same <em>set</em> of documents as the reference
 * implementation in this kit for every query; the exact order and scores are checked only on
 * backends without {@link Capability#NATIVE_SEARCH}, whose relevance is the portable one. The
 * store requires {@link Capability#TRANSACTIONS}: without them the tests skip naming it and
 * the group "without TRANSACTIONS" checks that {@code Storage.documents()} fails with
 * {@link UnsupportedCapabilityException}.
 */
public abstract class DocumentStoreContract extends DomainContract {
    /** The table of the document store's items, as docs/domain-stores.md documents its layout. */
    private static final String DOCUMENTS_TABLE = "documents";
    /** Documents in the generated search corpus. */
    public static final int CORPUS_SIZE = 1000;
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}]+");

    /** The store under test (null when the backend lacks TRANSACTIONS). */
    protected DocumentStore documents;

    /** Concurrent writers in the race tests. */
    protected int racers() {
        return 8;
    }

    /** How many documents the corpus test adds at once. */
    protected int writeParallelism() {
        return 16;
    }

    @BeforeEach
    void openDocuments() {
        if (storage.capabilities().has(Capability.TRANSACTIONS)) {
            documents = storage.documents();
        }
    }

    private void requireTransactions() {
        assumeCapability(Capability.TRANSACTIONS);
    }

    /** {@code template} with this test's tag appended to every word, so no other test's documents match. */
    protected String t(String template) {
        Matcher m = WORD.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(m.group() + tag));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private NewDocument doc(String title, String body) {
        return NewDocument.of(t(title), t(body));
    }

    private boolean portableRelevance() {
        return !storage.capabilities().has(Capability.NATIVE_SEARCH);
    }

    private List<Long> ids(List<SearchHit> hits) {
        return hits.stream().map(SearchHit::id).toList();
    }

    private Set<Long> idSet(List<SearchHit> hits) {
        return new TreeSet<>(ids(hits));
    }

    /** Raw view of the documents table, to check the documented item layout. */
    private Store<byte[]> raw() {
        return storage.store(DOCUMENTS_TABLE, Codec.bytes());
    }

    private static String pad(long id) {
        return String.format("%019d", id);
    }

    /** Asserts that nothing of document {@code id} is left: its partition and its postings for {@code words}. */
    private void assertNoOrphans(long id, Set<String> words) {
        assertEquals(List.of(), await(raw().query("doc#" + id, "")).stream().map(Item::sk).toList(),
                "no item left in the document's partition");
        for (String w : words) {
            assertEquals(Optional.empty(), await(raw().get("term#" + w, pad(id))).map(Item::key),
                    "no posting left for term " + w);
        }
    }

    private static Set<String> lowerWords(String text) {
        return SearchCorpus.terms(text).keySet();
    }

    @Nested
    @DisplayName("documents")
    class Documents {
        @BeforeEach
        void needsTransactions() {
            requireTransactions();
        }

        @Test
        @DisplayName("Storage.documents() returns one store per Storage")
        void oneStore() {
            assertSame(documents, storage.documents());
        }

        @Test
        @DisplayName("an added document reads back at version 1 with its metadata and the storage clock's time")
        void roundTrip() {
            NewDocument content = new NewDocument(t("Item layout"), "Body with \"quotes\", é ✓ 𝄞 and\nlines.",
                    Map.of("author", "ada", "rfc", "0053"));
            long id = await(documents.addDocument(content));
            assertTrue(id > 0);
            assertEquals(Optional.of(new Document(id, content.title(), content.body(), content.metadata(), 1,
                    clock.instant(), clock.instant())), await(documents.getDocument(id)));
        }

        @Test
        @DisplayName("an unknown document reads as empty; update fails with NotFoundException, delete returns false")
        void unknown() {
            long missing = Long.MAX_VALUE - 7;
            assertEquals(Optional.empty(), await(documents.getDocument(missing)));
            failure(NotFoundException.class, documents.updateDocument(missing, 1, doc("a", "b")));
            assertFalse(await(documents.deleteDocument(missing)));
            failure(ValidationException.class, documents.getDocument(0));
        }

        @Test
        @DisplayName("an update replaces content and index at version + 1; a stale version fails and changes nothing")
        void update() {
            long id = await(documents.addDocument(doc("first", "alpha beta")));
            clock.advance(Duration.ofMinutes(3));
            Document updated = await(documents.updateDocument(id, 1, doc("second", "beta gamma")));
            assertEquals(2, updated.version());
            assertEquals(updated, Await.found(documents.getDocument(id), "documents.getDocument(id)"));
            assertEquals(clock.instant(), updated.updatedAt());
            assertEquals(clock.instant().minus(Duration.ofMinutes(3)), updated.createdAt());
            assertEquals(List.of(), await(documents.search(t("alpha"), 10)), "a term that left is not found");
            assertEquals(List.of(id), ids(await(documents.search(t("gamma"), 10))));
            assertEquals(List.of(id), ids(await(documents.search(t("beta second"), 10))));
            failure(ConditionFailedException.class, documents.updateDocument(id, 1, doc("third", "delta")));
            assertEquals(updated, Await.found(documents.getDocument(id), "documents.getDocument(id)"));
            assertEquals(List.of(), await(documents.search(t("delta"), 10)));
        }

        @Test
        @DisplayName("of concurrent updates from one version exactly one wins, and only its terms are indexed")
        void concurrentUpdates() {
            long id = await(documents.addDocument(doc("race", "start")));
            List<Callable<CompletableFuture<?>>> calls = new ArrayList<>();
            for (int i = 0; i < racers(); i++) {
                NewDocument content = doc("race", "racer" + i + " shared");
                calls.add(() -> documents.updateDocument(id, 1, content));
            }
            List<Throwable> outcomes = Await.race(calls);
            assertEquals(1, outcomes.stream().filter(o -> o == null).count(), "winners: " + outcomes);
            outcomes.stream().filter(o -> o != null).forEach(o -> assertTrue(o instanceof ConditionFailedException,
                    "losers fail with ConditionFailedException, got " + o));
            int winner = outcomes.indexOf(null);
            Document d = Await.found(documents.getDocument(id), "documents.getDocument(id)");
            assertEquals(2, d.version());
            assertEquals(t("racer" + winner + " shared"), d.body());
            for (int i = 0; i < racers(); i++) {
                assertEquals(i == winner ? List.of(id) : List.of(), ids(await(documents.search(t("racer" + i), 10))),
                        "racer " + i);
            }
            assertEquals(List.of(), await(documents.search(t("start"), 10)));
        }

        @Test
        @DisplayName("content over the size limit fails with ValidationException naming the limit")
        void tooLarge() {
            String body = "x ".repeat(DocumentStore.MAX_CONTENT_BYTES / 2 + 10);
            ValidationException e = failure(ValidationException.class, documents.addDocument(NewDocument.of("t", body)));
            assertTrue(e.getMessage().contains(Integer.toString(DocumentStore.MAX_CONTENT_BYTES)), e.getMessage());
        }

        @Test
        @DisplayName("ids are unique across concurrent writers, reserved in blocks")
        void uniqueIds() {
            Store<byte[]> raw = raw();
            long countersBefore = await(raw.get("docseq", "docseq")).map(Item::version).orElse(0L);
            Set<Long> ids = addConcurrently(List.of(documents, documents, documents, documents));
            assertEquals(200, ids.size(), "200 adds, 200 distinct ids");
            long countersAfter = await(raw.get("docseq", "docseq")).map(Item::version).orElseThrow(
                    () -> new AssertionError("the id counter item (docseq, docseq) is missing after 200 adds"));
            assertTrue(countersAfter - countersBefore <= 200 / 64 + 2 + 1,
                    "ids come in blocks, not one counter write each: " + (countersAfter - countersBefore) + " writes");
            assertEquals(200, await(documents.search(t("id test body"), 1000)).size());
        }

        @Test
        @DisplayName("ids are unique across two Storage instances on the same data, each with its own allocator")
        void uniqueIdsAcrossStorages() throws Exception {
            try (Storage second = open(config(tempDir).withClock(clock))) {
                String probe = "probe " + tag;
                await(storage.store("kit_shared", Codec.utf8()).put(Item.of(tag, "probe", probe)));
                Assumptions.assumeTrue(await(second.store("kit_shared", Codec.utf8()).get(tag, "probe"))
                                .map(i -> i.value().equals(probe)).orElse(false),
                        () -> "backend '" + storage.backend() + "' shares no data between two Storage instances opened "
                                + "on one configuration (an in-memory engine); ids from separate allocators are checked "
                                + "on shared engines");
                DocumentStore other = second.documents();
                Set<Long> ids = addConcurrently(List.of(documents, other, documents, other));
                assertEquals(200, ids.size(), "200 adds through two allocators, 200 distinct ids");
                assertEquals(200, await(documents.search(t("id test body"), 1000)).size());
            }
        }

        /** Each writer adds 50 documents at once, all writers at the same moment; the ids returned. */
        private Set<Long> addConcurrently(List<DocumentStore> writers) {
            List<Callable<CompletableFuture<?>>> calls = new ArrayList<>();
            List<CompletableFuture<Long>> added = java.util.Collections.synchronizedList(new ArrayList<>());
            for (DocumentStore writer : writers) {
                calls.add(() -> {
                    List<CompletableFuture<Long>> mine = new ArrayList<>();
                    for (int j = 0; j < 50; j++) {
                        mine.add(writer.addDocument(doc("id test", "body")));
                    }
                    added.addAll(mine);
                    return CompletableFuture.allOf(mine.toArray(CompletableFuture[]::new));
                });
            }
            Await.race(calls).forEach(o -> assertEquals(null, o, "a concurrent add failed"));
            return added.stream().map(Await::await).collect(Collectors.toSet());
        }

        @Test
        @DisplayName("a document with more distinct terms than one transaction holds is indexed, re-indexed and removed fully")
        void largeDocument() {
            List<String> first = new ArrayList<>();
            List<String> second = new ArrayList<>();
            for (int i = 0; i < 330; i++) {
                first.add("one" + i);
                second.add("two" + i);
            }
            NewDocument a = doc("large", String.join(" ", first));
            long id = await(documents.addDocument(a));
            for (String w : List.of("one0", "one165", "one329", "large one7 one300")) {
                assertEquals(List.of(id), ids(await(documents.search(t(w), 10))), w);
            }
            Document updated = await(documents.updateDocument(id, 1, doc("large", String.join(" ", second))));
            assertEquals(2, updated.version());
            for (String w : List.of("one0", "one165", "one329")) {
                assertEquals(List.of(), await(documents.search(t(w), 10)), w);
                assertEquals(Optional.empty(), await(raw().get("term#" + t(w), pad(id))).map(Item::key),
                        "stale posting of " + w + " removed");
            }
            assertEquals(List.of(id), ids(await(documents.search(t("two0 two329 large"), 10))));
            assertTrue(await(documents.deleteDocument(id)));
            Set<String> words = new HashSet<>(lowerWords(a.title() + " " + a.body()));
            words.addAll(lowerWords(t(String.join(" ", second))));
            assertNoOrphans(id, words);
            assertEquals(List.of(), await(documents.search(t("two0"), 10)));
        }

        @Test
        @DisplayName("a delete removes the document, its index entries and its links both ways; deleting again returns false")
        void deleteLeavesNoOrphans() {
            NewDocument content = doc("doomed", "alpha beta gamma");
            long id = await(documents.addDocument(content));
            long other = await(documents.addDocument(doc("other", "alpha")));
            await(documents.link(id, other, "cites"));
            await(documents.link(other, id, "cites"));
            await(documents.link(id, id, "self"));
            assertTrue(await(documents.deleteDocument(id)));
            assertFalse(await(documents.deleteDocument(id)));
            assertEquals(Optional.empty(), await(documents.getDocument(id)));
            assertEquals(List.of(other), ids(await(documents.search(t("alpha"), 10))));
            assertEquals(List.of(), await(documents.linksFrom(other)));
            assertEquals(List.of(), await(documents.linksTo(other)));
            assertEquals(List.of(), await(raw().query("doc#" + other, "link")), "no link item left in the other partition");
            assertNoOrphans(id, lowerWords(content.title() + " " + content.body()));
            failure(NotFoundException.class, documents.linksFrom(id));
            failure(NotFoundException.class, documents.link(other, id, "cites"));
            failure(NotFoundException.class, documents.updateDocument(id, 1, doc("x", "y")));
        }

        @Test
        @DisplayName("a document with more links than one transaction holds is deleted with all of them")
        void deleteManyLinks() {
            long hub = await(documents.addDocument(doc("hub", "hub")));
            List<Long> spokes = new ArrayList<>();
            for (int i = 0; i < 70; i++) {
                long s = await(documents.addDocument(doc("spoke", "spoke")));
                spokes.add(s);
                await(documents.link(s, hub, "cites"));
                await(documents.link(hub, s, "mentions"));
            }
            assertEquals(70, await(documents.linksTo(hub)).size());
            assertTrue(await(documents.deleteDocument(hub)));
            for (long s : spokes) {
                assertEquals(List.of(), await(raw().query("doc#" + s, "link")), "links of spoke " + s);
            }
            assertNoOrphans(hub, lowerWords(t("hub")));
        }

        @Test
        @DisplayName("of concurrent deletes of one document exactly one returns true")
        void concurrentDeletes() {
            long id = await(documents.addDocument(doc("once", "once")));
            List<Callable<CompletableFuture<?>>> calls = new ArrayList<>();
            List<CompletableFuture<Boolean>> results = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < racers(); i++) {
                calls.add(() -> {
                    CompletableFuture<Boolean> f = documents.deleteDocument(id);
                    results.add(f);
                    return f;
                });
            }
            Await.race(calls).forEach(o -> assertEquals(null, o));
            assertEquals(1, results.stream().map(Await::await).filter(b -> b).count());
            assertNoOrphans(id, lowerWords(t("once")));
        }
    }

    @Nested
    @DisplayName("search")
    class Search {
        @BeforeEach
        void needsTransactions(TestInfo test) {
            // A test factory reports its own skip as one dynamic test (see corpus()): skipped here,
            // the factory would be an aborted container, which test reports do not count.
            if (!test.getTestMethod().map(m -> m.isAnnotationPresent(TestFactory.class)).orElse(false)) {
                requireTransactions();
            }
        }

        @Test
        @DisplayName("tokens split at non-letters, fold case, keep diacritics; every term must match; title counts")
        void semantics() {
            long a = await(documents.addDocument(doc("Alpha beta", "gamma, GAMMA; Gamma-delta 42x")));
            long b = await(documents.addDocument(doc("beta", "alpha alpha café")));
            long c = await(documents.addDocument(new NewDocument(t("Über"), t("über_alles it's"),
                    Map.of("note", t("metaonly")))));
            Map<String, Set<Long>> cases = new LinkedHashMap<>();
            cases.put("alpha", Set.of(a, b));
            cases.put("ALPHA Beta", Set.of(a, b));
            cases.put("gamma", Set.of(a));
            cases.put("delta", Set.of(a));
            cases.put("42x", Set.of(a));
            cases.put("café", Set.of(b));
            cases.put("CAFÉ", Set.of(b));
            cases.put("cafe", Set.of());
            cases.put("über", Set.of(c));
            cases.put("alles", Set.of(c));
            cases.put("it s", Set.of(c));
            cases.put("alpha zeta", Set.of());
            cases.put("metaonly", Set.of());
            for (Map.Entry<String, Set<Long>> e : cases.entrySet()) {
                assertEquals(new TreeSet<>(e.getValue()), idSet(await(documents.search(t(e.getKey()), 10))),
                        "query \"" + e.getKey() + "\"");
            }
            assertEquals(List.of(), await(documents.search("", 10)));
            assertEquals(List.of(), await(documents.search(" !!! -- ", 10)));
            assertEquals(List.of(), await(documents.search(t("alpha") + " " + "y".repeat(65), 10)),
                    "a term longer than 64 characters matches nothing");
            if (portableRelevance()) {
                List<SearchHit> hits = await(documents.search(t("alpha beta"), 10));
                assertEquals(List.of(new SearchHit(b, t("beta"), 3), new SearchHit(a, t("Alpha beta"), 2)), hits);
                assertEquals(List.of(new SearchHit(a, t("Alpha beta"), 3)), await(documents.search(t("gamma"), 10)));
            }
        }

        @Test
        @DisplayName("equal scores are ordered by id, and limit keeps the best")
        void tiesAndLimit() {
            List<Long> ids = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                ids.add(await(documents.addDocument(doc("tie", "same words"))));
            }
            long best = await(documents.addDocument(doc("tie", "same same same words")));
            List<SearchHit> all = await(documents.search(t("same"), 10));
            assertEquals(6, all.size());
            List<SearchHit> top = await(documents.search(t("same"), 3));
            assertEquals(3, top.size());
            if (portableRelevance()) {
                List<Long> expected = new ArrayList<>();
                expected.add(best);
                expected.addAll(ids.stream().sorted().toList());
                assertEquals(expected, ids(all));
                assertEquals(expected.subList(0, 3), ids(top));
            } else {
                assertTrue(idSet(all).containsAll(idSet(top)));
            }
        }

        @Test
        @DisplayName("a bad limit or too many terms fails with ValidationException")
        void badQueries() {
            failure(ValidationException.class, documents.search("x", 0));
            failure(ValidationException.class, documents.search("x", 1001));
            String many = java.util.stream.IntStream.range(0, DocumentStore.MAX_QUERY_TERMS + 1)
                    .mapToObj(i -> "w" + i).collect(Collectors.joining(" "));
            failure(ValidationException.class, documents.search(many, 10));
        }

        @TestFactory
        @DisplayName("on a generated corpus every query returns exactly the reference result set")
        Stream<DynamicTest> corpus() {
            if (!storage.capabilities().has(Capability.TRANSACTIONS)) {
                return Stream.of(DynamicTest.dynamicTest("the search corpus of " + CORPUS_SIZE + " documents",
                        DocumentStoreContract.this::requireTransactions));
            }
            SearchCorpus corpus = new SearchCorpus(tag, CORPUS_SIZE, 400);
            Map<Long, NewDocument> stored = new LinkedHashMap<>();
            List<NewDocument> docs = corpus.documents;
            for (int from = 0; from < docs.size(); from += writeParallelism()) {
                List<NewDocument> batch = docs.subList(from, Math.min(docs.size(), from + writeParallelism()));
                List<CompletableFuture<Long>> adds = batch.stream().map(documents::addDocument).toList();
                for (int i = 0; i < batch.size(); i++) {
                    stored.put(await(adds.get(i)), batch.get(i));
                }
            }
            assertEquals(CORPUS_SIZE, stored.size());
            // Delete a few and update a few, so the corpus also exercises re-indexing.
            List<Long> ids = new ArrayList<>(stored.keySet());
            for (int i = 0; i < 20; i++) {
                long id = ids.get(i * 37 % ids.size());
                if (i % 2 == 0) {
                    assertTrue(await(documents.deleteDocument(id)));
                    stored.remove(id);
                } else {
                    NewDocument replacement = docs.get((i * 53 + 11) % docs.size());
                    await(documents.updateDocument(id, 1, replacement));
                    stored.put(id, replacement);
                }
            }
            boolean portable = portableRelevance();
            return corpus.queries.stream().map(q -> DynamicTest.dynamicTest("query \"" + q.replace("\n", "\\n") + "\"",
                    () -> {
                        List<SearchCorpus.Expected> expected = SearchCorpus.expected(stored, q);
                        List<SearchHit> hits = await(documents.search(q, 1000));
                        assertEquals(expected.stream().map(SearchCorpus.Expected::id).collect(Collectors.toCollection(TreeSet::new)),
                                idSet(hits), "result set");
                        if (portable) {
                            assertEquals(expected.stream().map(e -> e.id() + ":" + e.score()).toList(),
                                    hits.stream().map(h -> h.id() + ":" + (int) h.score()).toList(), "relevance order");
                            List<SearchHit> top = await(documents.search(q, 5));
                            assertEquals(ids(hits).subList(0, Math.min(5, hits.size())), ids(top), "limit keeps the best");
                        }
                        for (SearchHit h : hits) {
                            assertEquals(stored.get(h.id()).title(), h.title(), "hit title");
                        }
                    }));
        }
    }

    @Nested
    @DisplayName("links")
    class Links {
        private long a;
        private long b;
        private long c;

        @BeforeEach
        void documents() {
            requireTransactions();
            a = await(documents.addDocument(doc("a", "a")));
            b = await(documents.addDocument(doc("b", "b")));
            c = await(documents.addDocument(doc("c", "c")));
        }

        @Test
        @DisplayName("links are listed from either end, ordered by type then the other document's id")
        void bothWays() {
            await(documents.link(a, c, "cites"));
            await(documents.link(a, b, "supersedes"));
            await(documents.link(a, b, "cites"));
            await(documents.link(c, a, "cites"));
            assertEquals(new Link(a, a, "self-ref"), await(documents.link(a, a, "self-ref")));
            List<Long> sorted = new ArrayList<>(List.of(b, c));
            sorted.sort(Long::compare);
            assertEquals(List.of(new Link(a, sorted.get(0), "cites"), new Link(a, sorted.get(1), "cites"),
                    new Link(a, a, "self-ref"), new Link(a, b, "supersedes")), await(documents.linksFrom(a)));
            assertEquals(List.of(new Link(a, b, "cites"), new Link(a, b, "supersedes")), await(documents.linksTo(b)));
            assertEquals(List.of(new Link(c, a, "cites"), new Link(a, a, "self-ref")), await(documents.linksTo(a)));
            assertEquals(List.of(new Link(c, a, "cites")), await(documents.linksFrom(c)));
        }

        @Test
        @DisplayName("linking is idempotent; unlink removes both ends and reports whether the link existed")
        void idempotentAndUnlink() {
            await(documents.link(a, b, "cites"));
            await(documents.link(a, b, "cites"));
            assertEquals(List.of(new Link(a, b, "cites")), await(documents.linksFrom(a)));
            assertTrue(await(documents.unlink(a, b, "cites")));
            assertFalse(await(documents.unlink(a, b, "cites")));
            assertEquals(List.of(), await(documents.linksFrom(a)));
            assertEquals(List.of(), await(documents.linksTo(b)));
        }

        @Test
        @DisplayName("links to a missing document fail with NotFoundException; bad types with ValidationException")
        void badLinks() {
            long missing = Long.MAX_VALUE - 3;
            failure(NotFoundException.class, documents.link(a, missing, "cites"));
            failure(NotFoundException.class, documents.link(missing, a, "cites"));
            failure(NotFoundException.class, documents.linksTo(missing));
            failure(ValidationException.class, documents.link(a, b, "Cites"));
            failure(ValidationException.class, documents.link(a, b, "has space"));
            failure(ValidationException.class, documents.link(a, b, ""));
            assertEquals(List.of(), await(documents.linksFrom(a)));
        }
    }

    @Nested
    @DisplayName("without TRANSACTIONS")
    class WithoutTransactions {
        @Test
        @DisplayName("Storage.documents() fails with UnsupportedCapabilityException naming TRANSACTIONS")
        void unsupported() {
            assumeNoCapability(Capability.TRANSACTIONS);
            UnsupportedCapabilityException e = assertThrows(UnsupportedCapabilityException.class, storage::documents);
            assertEquals(Capability.TRANSACTIONS, e.capability());
        }
    }
}
