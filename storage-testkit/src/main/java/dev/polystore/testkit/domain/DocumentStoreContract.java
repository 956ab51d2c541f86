package dev.polystore.testkit.domain;

import static dev.polystore.testkit.domain.Await.await;
import static dev.polystore.testkit.domain.Await.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

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
import java.util.EnumSet;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.SearchIndex;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.Capabilities;

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
 * <p>Search is checked on a corpus drawn from the whole Unicode range ({@code SearchCorpus}:
 * combining marks, special case mappings, letters newer than Unicode 6.1, supplementary letters
 * and digits, private use, unpaired surrogates, …). Every backend must return the same
 * <em>set</em> of documents as the kit's reference model for every query; the exact order and
 * scores are checked on the portable path. A backend with {@link Capability#NATIVE_SEARCH} must
 * also return, for every query, exactly the set the portable index returns on the same data
 * (a portable {@code DefaultDocumentStore} over the same storage, whose order is checked
 * against the model); without it, that part of the corpus test is reported as skipped. The
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

    /**
     * Documents in the search corpus: {@value #CORPUS_SIZE}. Package-private so that only the
     * kit's own self-tests (which run the suite on many deliberately broken backends) use fewer.
     */
    int corpusSize() {
        return CORPUS_SIZE;
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

        @Test
        @DisplayName("every Unicode input: marks separate, special and newer case pairs fold per code point, supplementary and private-use characters are letters")
        void unicode() {
            String k = tag;
            Map<String, Long> docs = new LinkedHashMap<>();
            for (String body : List.of(
                    k + "cafe\u0301 " + k + "au", // decomposed é: the combining mark separates
                    k + "\u0130stanbul", // Turkish dotted capital I folds to i
                    k + "\u039f\u0394\u039f\u03a3", // capital sigma folds to σ, also at the end of a word
                    k + "\ud801\udcb0", // Osage capital (Unicode 9)
                    k + "\ua7b4", // Latin capital beta (Unicode 8)
                    k + "\u13a0", // Cherokee capital, whose small letter came in Unicode 8
                    k + "\u1c90", // Georgian Mtavruli (Unicode 11)
                    k + "\u01c5", // title case Dž
                    k + "stra\u00dfe", // ß stays ß
                    k + "\u216b", // Roman numeral XII (Nl) has a lower case
                    k + "\u0663\u096d\uff19\ud835\udfd8", // digits of other scripts, supplementary digit
                    k + "\ue000\udb80\udc00", // private use, BMP and plane 15
                    k + "a\u200d" + k + "b", // a format character separates
                    k + "x\ud800" + k + "y", // so does an unpaired surrogate
                    k + "\u212a", // Kelvin sign folds to ASCII k
                    k + "\ud801\udc28".repeat(DocumentStore.MAX_TERM_LENGTH - k.length()), // 64 code points
                    k + "\ud801\udc28".repeat(DocumentStore.MAX_TERM_LENGTH - k.length() + 1))) { // 65
                docs.put(body, await(documents.addDocument(NewDocument.of(k, body))));
            }
            List<Long> ids = new ArrayList<>(docs.values());
            Map<String, Set<Long>> cases = new LinkedHashMap<>();
            cases.put("cafe", Set.of(ids.get(0)));
            cases.put("caf\u00e9", Set.of());
            cases.put("au", Set.of(ids.get(0)));
            cases.put("istanbul", Set.of(ids.get(1)));
            cases.put("\u0130STANBUL", Set.of(ids.get(1)));
            cases.put("\u0131stanbul", Set.of());
            cases.put("\u03bf\u03b4\u03bf\u03c3", Set.of(ids.get(2)));
            cases.put("\u039f\u0394\u039f\u03a3", Set.of(ids.get(2)));
            cases.put("\u03bf\u03b4\u03bf\u03c2", Set.of());
            cases.put("\ud801\udcd8", Set.of(ids.get(3)));
            cases.put("\ua7b5", Set.of(ids.get(4)));
            cases.put("\uab70", Set.of(ids.get(5)));
            cases.put("\u10d0", Set.of(ids.get(6)));
            cases.put("\u01c6", Set.of(ids.get(7)));
            cases.put("\u01c4", Set.of(ids.get(7)));
            cases.put("stra\u00dfe", Set.of(ids.get(8)));
            cases.put("STRASSE", Set.of());
            cases.put("\u217b", Set.of(ids.get(9)));
            cases.put("\u0663\u096d\uff19\ud835\udfd8", Set.of(ids.get(10)));
            cases.put("\ue000\udb80\udc00", Set.of(ids.get(11)));
            cases.put("a", Set.of(ids.get(12)));
            cases.put("b", Set.of(ids.get(12)));
            cases.put("x", Set.of(ids.get(13)));
            cases.put("y", Set.of(ids.get(13)));
            cases.put("k", Set.of(ids.get(14)));
            cases.put("\ud801\udc00".repeat(DocumentStore.MAX_TERM_LENGTH - k.length()), Set.of(ids.get(15)));
            cases.put("\ud801\udc28".repeat(DocumentStore.MAX_TERM_LENGTH - k.length() + 1), Set.of());
            List<String> wrong = new ArrayList<>();
            for (Map.Entry<String, Set<Long>> e : cases.entrySet()) {
                Set<Long> found = idSet(await(documents.search(k + e.getKey(), 10)));
                if (!found.equals(new TreeSet<>(e.getValue()))) {
                    wrong.add("query \"" + SearchCorpus.describe(e.getKey()) + "\": expected documents " + e.getValue()
                            + ", found " + found);
                }
            }
            assertEquals(List.of(), wrong, "queries whose result set differs from the documented semantics (documents: "
                    + ids + ")");
        }

        /**
         * A factory's stand-in where a capability is missing: one dynamic test that is skipped
         * naming it (an assumption in the factory itself would not be reported as a skipped test).
         */
        private Stream<DynamicTest> skipped(Capability capability, String name) {
            return Stream.of(DynamicTest.dynamicTest(name, () -> assumeCapability(capability)));
        }

        @TestFactory
        @DisplayName("on a corpus drawn from the whole Unicode range every query returns exactly the reference result set, and native search the portable index's")
        Stream<DynamicTest> corpus() throws Exception {
            if (!storage.capabilities().has(Capability.TRANSACTIONS)) {
                return skipped(Capability.TRANSACTIONS, "the corpus");
            }
            SearchCorpus corpus = new SearchCorpus(tag, corpusSize(), 400);
            Map<Long, NewDocument> stored = new LinkedHashMap<>();
            List<NewDocument> docs = corpus.documents;
            for (int from = 0; from < docs.size(); from += writeParallelism()) {
                List<NewDocument> batch = docs.subList(from, Math.min(docs.size(), from + writeParallelism()));
                List<CompletableFuture<Long>> adds = batch.stream().map(documents::addDocument).toList();
                for (int i = 0; i < batch.size(); i++) {
                    stored.put(await(adds.get(i)), batch.get(i));
                }
            }
            assertEquals(corpusSize(), stored.size());
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
            SearchCorpus.Model model = new SearchCorpus.Model(stored);
            // The portable index on the same data, the reference a native index must equal: a
            // second storage on the same engine whose backend hides its native index.
            DocumentStore reference = portable ? null : openAlso(PortableSearchOnly::new).documents();
            Stream<DynamicTest> byModel = corpus.queries.stream().map(q -> DynamicTest.dynamicTest(
                    "query \"" + SearchCorpus.describe(q) + "\": the reference model's result set", () -> {
                        List<SearchCorpus.Expected> expected = model.expected(q);
                        List<SearchHit> hits = await(documents.search(q, 1000));
                        assertSameSet(expected.stream().map(SearchCorpus.Expected::id).collect(Collectors.toSet()),
                                idSet(hits), "the result set differs from the reference model of the documented semantics",
                                stored);
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
            if (portable) {
                return Stream.concat(byModel, skipped(Capability.NATIVE_SEARCH,
                        "native search returns the portable index's result set"));
            }
            Stream<DynamicTest> parity = corpus.queries.stream().map(q -> DynamicTest.dynamicTest(
                    "query \"" + SearchCorpus.describe(q) + "\": native search returns the portable index's result set",
                    () -> {
                        List<SearchHit> fromIndex = await(reference.search(q, 1000));
                        List<SearchCorpus.Expected> expected = model.expected(q);
                        assertEquals(expected.stream().map(e -> e.id() + ":" + e.score()).toList(),
                                fromIndex.stream().map(h -> h.id() + ":" + (int) h.score()).toList(),
                                "the portable index on this backend's data, in portable relevance order");
                        assertSameSet(idSet(fromIndex), idSet(await(documents.search(q, 1000))),
                                "native search differs from the portable index on the same data", stored);
                    }));
            return Stream.concat(byModel, parity);
        }

        /** Fails naming the documents missing and extra (with their text), not two long lists. */
        private void assertSameSet(Set<Long> expected, Set<Long> actual, String what, Map<Long, NewDocument> stored) {
            Set<Long> missing = new TreeSet<>(expected);
            missing.removeAll(actual);
            Set<Long> extra = new TreeSet<>(actual);
            extra.removeAll(expected);
            if (!missing.isEmpty() || !extra.isEmpty()) {
                fail(what + " (" + expected.size() + " expected, " + actual.size() + " found): missing "
                        + abbreviate(missing) + describe(stored, missing) + ", extra " + abbreviate(extra)
                        + describe(stored, extra));
            }
        }

        private String abbreviate(Set<Long> ids) {
            return ids.size() <= 20 ? ids.toString() : ids.stream().limit(20).map(String::valueOf)
                    .collect(Collectors.joining(", ", "[", ", … (" + ids.size() + " in all)]"));
        }

        /** The first differing documents' text, escaped, for a failure message. */
        private String describe(Map<Long, NewDocument> stored, Set<Long> ids) {
            return ids.stream().limit(3).map(id -> {
                String text = stored.get(id).title() + " / " + stored.get(id).body();
                int end = text.offsetByCodePoints(0, Math.min(160, text.codePointCount(0, text.length())));
                return " [" + id + ": " + SearchCorpus.describe(text.substring(0, end)) + (end < text.length() ? "…" : "")
                        + "]";
            }).collect(Collectors.joining());
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

    /** A backend as it is, but without {@code NATIVE_SEARCH}: the document store then searches its portable index. */
    private static final class PortableSearchOnly extends ForwardingStorageBackend {
        PortableSearchOnly(StorageBackend delegate) {
            super(delegate);
        }

        @Override
        public Capabilities capabilities() {
            Capabilities c = delegate.capabilities();
            Set<Capability> without = EnumSet.noneOf(Capability.class);
            without.addAll(c.supported());
            without.remove(Capability.NATIVE_SEARCH);
            return new Capabilities(without, c.maxTransactionItems(), c.maxTransactionBytes(), c.maxBatchGetItems(),
                    c.maxBatchWriteItems());
        }

        @Override
        public Optional<SearchIndex> searchIndex() {
            return Optional.empty();
        }
    }
}

