package dev.polystore.testkit.faults;

import static dev.polystore.testkit.faults.SweepOperations.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polystore.Capability;
import dev.polystore.DocumentStore;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Store;
import dev.polystore.document.Document;
import dev.polystore.document.DocumentOutcomeUnknownException;
import dev.polystore.document.Link;
import dev.polystore.document.NewDocument;
import dev.polystore.document.SearchHit;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * The document store's operations in the sweep: adds (one atomic write, and a large document in
 * several), updates (small and large), a delete of a large document with links both ways, link,
 * unlink, search and get. Besides what the API shows, every case checks the stored items against
 * the documented layout ({@link #checkClean}): no unfinished work left in a state item after a
 * reported success, a failure or a read-back, the index exact (a posting exists for exactly the
 * terms of each visible text), no item of a deleted document, no link to a document that is gone.
 */
public final class DocumentOperations {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Large enough to take several atomic writes of at most 100 operations. */
    private static final int LARGE = 250;

    private DocumentOperations() {
    }

    public static List<SweepOperation> all() {
        return List.of(add("add document (small)", "s", 5), add("add document (large)", "l", LARGE),
                addWithRequestId(), update("update document (small)", 5, 5), update("update document (large)", LARGE, LARGE),
                delete(), link(), unlink(), search(), getDocument());
    }

    static DocumentStore documents(SweepCase c) {
        return c.storage().documents();
    }

    /** {@code title|<n> words: first … last|v<version>}, tags removed: a document without its id and dates. */
    static String show(SweepCase c, Optional<Document> d) {
        return d.map(x -> {
            String[] words = c.untag(x.body()).split(" ");
            return c.untag(x.title()) + "|" + words.length + " words: " + words[0] + " … " + words[words.length - 1]
                    + "|v" + x.version() + (x.metadata().isEmpty() ? "" : "|" + x.metadata());
        }).orElse("absent");
    }

    /** The titles (tags removed) of the documents a one-word search finds, in the order found. */
    static List<String> search(SweepCase c, String word) {
        return await(documents(c).search(word, 100)).stream().map(h -> c.untag(h.title())).toList();
    }

    static long add(SweepCase c, String name, String body) {
        long id = await(documents(c).addDocument(NewDocument.of(c.word("title" + name), body)));
        c.document(name, id);
        return id;
    }

    static String show(SweepCase c, Link l) {
        return c.nameOf(l.from()) + " -" + l.type() + "-> " + c.nameOf(l.to());
    }

    static List<String> links(SweepCase c, List<Link> links) {
        return links.stream().map(l -> show(c, l)).toList();
    }

    abstract static class DocumentOperation extends SweepOperation {
        DocumentOperation(String name) {
            super(name, Capability.TRANSACTIONS);
        }

        @Override
        protected void checkClean(SweepCase c, List<String> problems) {
            DocumentOperations.checkClean(c, problems);
        }

        @Override
        protected void probe(SweepCase c) {
            String word = c.word("probe");
            long id = await(documents(c).addDocument(NewDocument.of("probe", word)));
            if (await(documents(c).getDocument(id)).isEmpty()) {
                throw new IllegalStateException("a document added after the fault is not found");
            }
            List<Long> found = await(documents(c).search(word, 10)).stream().map(SearchHit::id).toList();
            if (!found.equals(List.of(id))) {
                throw new IllegalStateException("a document added after the fault is not found by search: " + found);
            }
            c.document("probe", id);
        }
    }

    /** An add; observed through search (its id is not known before), then read by the ids found. */
    static class Add extends DocumentOperation {
        private final String stem;
        private final int words;

        Add(String name, String stem, int words) {
            super(name);
            this.stem = stem;
            this.words = words;
        }

        NewDocument content(SweepCase c) {
            return NewDocument.of(c.word("titlenew"), c.words(stem, words));
        }

        @Override
        protected CompletableFuture<?> run(SweepCase c) {
            return documents(c).addDocument(content(c));
        }

        @Override
        protected Map<String, Object> observe(SweepCase c) {
            Map<String, Object> parts = new LinkedHashMap<>();
            String first = stem + "0" + c.tag();
            String last = stem + (words - 1) + c.tag();
            List<SearchHit> hits = await(documents(c).search(first, 100));
            parts.put("search " + stem + "0", hits.stream().map(h -> c.untag(h.title())).toList());
            parts.put("search " + stem + (words - 1), search(c, last));
            List<String> found = new ArrayList<>();
            for (SearchHit h : hits) {
                found.add(show(c, await(documents(c).getDocument(h.id()))));
            }
            parts.put("documents found", found);
            return parts;
        }

        @Override
        protected Object normalize(SweepCase c, Object result) {
            return "an id";
        }

        @Override
        protected void checkResult(SweepCase c, Object result, Reference reference, List<String> problems) {
            long id = (Long) result;
            c.document("new", id);
            String stored = show(c, await(documents(c).getDocument(id)));
            Object found = reference.after().get("documents found");
            if (!List.of(stored).equals(found)) {
                problems.add("it returned id " + id + ", which holds " + stored + ", but the document added is " + found);
            }
        }

        /** The exception must name the document, so that the caller can read it back; reading it back completes it. */
        @Override
        protected void resolve(SweepCase c, OutcomeUnknownException e, List<String> problems) {
            if (!(e instanceof DocumentOutcomeUnknownException named)) {
                problems.add("OutcomeUnknownException from an add must name the document (DocumentOutcomeUnknownException"
                        + ".documentId()), or the caller cannot read it back: " + e);
                return;
            }
            long id = named.documentId();
            c.document("new", id);
            Optional<Document> read = await(documents(c).getDocument(id));
            List<Long> found = await(documents(c).search(stem + "0" + c.tag(), 100)).stream().map(SearchHit::id).toList();
            if (!found.equals(read.isPresent() ? List.of(id) : List.of())) {
                problems.add("the exception names document " + id + " (read back: " + show(c, read) + "), but search "
                        + "finds " + found);
            }
        }
    }

    static SweepOperation add(String name, String stem, int words) {
        return new Add(name, stem, words);
    }

    /**
     * An add with a request id. After any failure the caller retries with the same request id:
     * the retry must succeed and leave exactly one document, and a second retry answers with
     * the same id.
     */
    static SweepOperation addWithRequestId() {
        return new Add("add document with request id, retried", "r", 120) {
            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return documents(c).addDocument(content(c), "req-" + c.tag());
            }

            @Override
            protected void verify(SweepCase c, Outcome outcome, Map<String, Object> before, Reference reference,
                                  List<String> problems) throws Exception {
                super.verify(c, outcome, before, reference, problems);
                if (outcome.succeeded()) {
                    Outcome again = CoreOperations.outcome(run(c));
                    if (!outcome.value().equals(again.value())) {
                        problems.add("a repeat with the same request id answered " + again.kind() + " " + again.value()
                                + (again.error() == null ? "" : " " + again.error()) + ", not id " + outcome.value());
                    }
                    return;
                }
                Outcome retried = CoreOperations.outcome(run(c));
                if (!retried.succeeded()) {
                    problems.add("retrying with the same request id after " + outcome.kind() + " failed: " + retried.error());
                    return;
                }
                long id = (Long) retried.value();
                c.document("retried", id);
                Map<String, Object> seen = observe(c);
                if (!seen.equals(reference.after())) {
                    problems.add("after the retry with the same request id the documents are not exactly the one added: "
                            + difference(reference.after(), seen));
                }
                if (!show(c, await(documents(c).getDocument(id))).equals(((List<?>) reference.after()
                        .get("documents found")).get(0))) {
                    problems.add("the retry answered id " + id + ", which is not the document added");
                }
                Outcome again = CoreOperations.outcome(run(c));
                if (!retried.value().equals(again.value())) {
                    problems.add("a second retry answered " + again.value() + ", not id " + id);
                }
            }
        };
    }

    static SweepOperation update(String name, int oldWords, int newWords) {
        return new DocumentOperation(name) {
            @Override
            protected void setUp(SweepCase c) {
                add(c, "a", c.words("o", oldWords));
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return documents(c).updateDocument(c.document("a"), 1,
                        NewDocument.of(c.word("titlea"), c.words("n", newWords)));
            }

            @Override
            protected Map<String, Object> observe(SweepCase c) {
                Map<String, Object> parts = new LinkedHashMap<>();
                parts.put("document", show(c, await(documents(c).getDocument(c.document("a")))));
                parts.put("search o0", search(c, "o0" + c.tag()));
                parts.put("search o" + (oldWords - 1), search(c, "o" + (oldWords - 1) + c.tag()));
                parts.put("search n0", search(c, "n0" + c.tag()));
                parts.put("search n" + (newWords - 1), search(c, "n" + (newWords - 1) + c.tag()));
                return parts;
            }

            @Override
            protected Object normalize(SweepCase c, Object result) {
                return show(c, Optional.of((Document) result));
            }
        };
    }

    static SweepOperation delete() {
        return new DocumentOperation("delete document (large, linked both ways)") {
            @Override
            protected void setUp(SweepCase c) {
                long a = add(c, "a", c.words("g", LARGE));
                long b = add(c, "b", c.words("b", 3));
                await(documents(c).link(b, a, "cites"));
                await(documents(c).link(a, b, "cites"));
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return documents(c).deleteDocument(c.document("a"));
            }

            @Override
            protected Map<String, Object> observe(SweepCase c) {
                Map<String, Object> parts = new LinkedHashMap<>();
                parts.put("document", show(c, await(documents(c).getDocument(c.document("a")))));
                parts.put("search g0", search(c, "g0" + c.tag()));
                parts.put("search g" + (LARGE - 1), search(c, "g" + (LARGE - 1) + c.tag()));
                parts.put("links from b", links(c, await(documents(c).linksFrom(c.document("b")))));
                parts.put("links to b", links(c, await(documents(c).linksTo(c.document("b")))));
                return parts;
            }
        };
    }

    static SweepOperation link() {
        return new DocumentOperation("link") {
            @Override
            protected void setUp(SweepCase c) {
                add(c, "a", c.words("a", 3));
                add(c, "b", c.words("b", 3));
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return documents(c).link(c.document("a"), c.document("b"), "cites");
            }

            @Override
            protected Map<String, Object> observe(SweepCase c) {
                // One part: both halves of a link are written atomically.
                List<String> both = new ArrayList<>(links(c, await(documents(c).linksFrom(c.document("a")))));
                both.add("|");
                both.addAll(links(c, await(documents(c).linksTo(c.document("b")))));
                return Map.of("links from a | links to b", both);
            }

            @Override
            protected Object normalize(SweepCase c, Object result) {
                return show(c, (Link) result);
            }
        };
    }

    static SweepOperation unlink() {
        return new DocumentOperation("unlink") {
            @Override
            protected void setUp(SweepCase c) {
                add(c, "a", c.words("a", 3));
                add(c, "b", c.words("b", 3));
                await(documents(c).link(c.document("a"), c.document("b"), "cites"));
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return documents(c).unlink(c.document("a"), c.document("b"), "cites");
            }

            @Override
            protected Map<String, Object> observe(SweepCase c) {
                List<String> both = new ArrayList<>(links(c, await(documents(c).linksFrom(c.document("a")))));
                both.add("|");
                both.addAll(links(c, await(documents(c).linksTo(c.document("b")))));
                return Map.of("links from a | links to b", both);
            }
        };
    }

    static SweepOperation search() {
        return new DocumentOperation("search") {
            @Override
            protected void setUp(SweepCase c) {
                String common = c.word("common");
                add(c, "a", common + " " + c.words("x", 4));
                add(c, "b", common + " " + common + " " + c.words("y", 2));
                add(c, "c", c.words("z", 3));
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return documents(c).search("common" + c.tag(), 10);
            }

            @Override
            protected boolean writes() {
                return false;
            }

            @Override
            protected Map<String, Object> observe(SweepCase c) {
                return Map.of("search common", search(c, "common" + c.tag()));
            }

            @Override
            @SuppressWarnings("unchecked")
            protected Object normalize(SweepCase c, Object result) {
                return ((List<SearchHit>) result).stream().map(h -> c.untag(h.title()) + " " + h.score()).toList();
            }
        };
    }

    static SweepOperation getDocument() {
        return new DocumentOperation("get document") {
            @Override
            protected void setUp(SweepCase c) {
                add(c, "a", c.words("a", 7));
            }

            @Override
            protected CompletableFuture<?> run(SweepCase c) {
                return documents(c).getDocument(c.document("a"));
            }

            @Override
            protected boolean writes() {
                return false;
            }

            @Override
            protected Map<String, Object> observe(SweepCase c) {
                return Map.of("document", show(c, await(documents(c).getDocument(c.document("a")))));
            }

            @Override
            @SuppressWarnings("unchecked")
            protected Object normalize(SweepCase c, Object result) {
                return show(c, (Optional<Document>) result);
            }
        };
    }

    // ------------------------------------------------------------------ stored items

    /**
     * Checks the stored items of every document of the case (those remembered by name and those
     * found through the postings of the case's {@linkplain SweepCase#firstWords() first words})
     * against the documented layout: a state item without unfinished work, a text item of the
     * same version, links whose other end exists, a posting for exactly the terms of the text;
     * and nothing at all for a document without a state item.
     */
    static void checkClean(SweepCase c, List<String> problems) {
        Store<byte[]> raw = c.raw("documents" /* the document store's table, documented in Storage.documents() */);
        Set<Long> ids = new TreeSet<>(c.documents().values());
        for (String w : c.firstWords()) {
            for (Item<byte[]> posting : await(raw.query("term#" + w, ""))) {
                ids.add(Long.parseLong(posting.sk()));
            }
        }
        for (long id : ids) {
            checkDocument(c, raw, id, problems);
        }
    }

    private static void checkDocument(SweepCase c, Store<byte[]> raw, long id, List<String> problems) {
        String name = "document " + c.nameOf(id) + " (id " + id + ")";
        List<Item<byte[]>> items = await(raw.query("doc#" + id, ""));
        JsonNode state = null;
        JsonNode text = null;
        List<String> sks = new ArrayList<>();
        List<JsonNode> linkItems = new ArrayList<>();
        for (Item<byte[]> item : items) {
            sks.add(item.sk());
            if (item.sk().equals("doc")) {
                state = json(item);
            } else if (item.sk().equals("doc#text")) {
                text = json(item);
            } else if (item.sk().startsWith("link")) {
                linkItems.add(json(item));
            }
        }
        Set<String> terms = new HashSet<>();
        if (state == null) {
            if (!items.isEmpty()) {
                problems.add(name + " has no state item but items " + sks + " are left (an unfinished delete, or orphans)");
            }
        } else {
            JsonNode pending = state.get("pending");
            JsonNode stale = state.get("stale");
            boolean deleting = state.path("deleting").asBoolean(false);
            if ((pending != null && !pending.isNull()) || (stale != null && stale.size() > 0) || deleting) {
                problems.add(name + " has unfinished work recorded in its state (" + (pending != null && !pending.isNull()
                        ? "a pending change with " + pending.path("toIndex").size() + " terms still to index; " : "")
                        + (stale == null ? 0 : stale.size()) + " stale terms" + (deleting ? "; deleting" : "") + ")");
            }
            long version = state.path("version").asLong();
            if (version > 0 && !deleting && text == null) {
                problems.add(name + " is at version " + version + " but has no text item");
            }
            if (text != null && text.path("version").asLong() != version) {
                problems.add(name + "'s text is of version " + text.path("version").asLong() + ", its state of " + version);
            }
        }
        if (text != null) {
            for (String t : (text.path("title").asText() + "\n" + text.path("body").asText()).toLowerCase(Locale.ROOT)
                    .split("[^\\p{L}\\p{N}]+")) {
                if (!t.isEmpty()) {
                    terms.add(t);
                }
            }
        }
        for (JsonNode link : linkItems) {
            long from = link.path("from").asLong();
            long to = link.path("to").asLong();
            long other = from == id ? to : from;
            if (other != id && !visible(raw, other)) {
                problems.add(name + " keeps a link " + c.nameOf(from) + " -" + link.path("type").asText() + "-> "
                        + c.nameOf(to) + " to a document that is gone");
            }
        }
        List<String> vocabulary = new ArrayList<>(c.vocabulary());
        List<Key> keys = vocabulary.stream().map(w -> Key.of("term#" + w, String.format("%019d", id))).toList();
        Set<Key> present = new HashSet<>();
        if (c.storage().capabilities().has(Capability.BATCH)) {
            present.addAll(await(raw.batchGet(keys)).keySet());
        } else {
            for (Key k : keys) {
                if (await(raw.get(k)).isPresent()) {
                    present.add(k);
                }
            }
        }
        List<String> missing = new ArrayList<>();
        List<String> extra = new ArrayList<>();
        for (int i = 0; i < vocabulary.size(); i++) {
            boolean has = present.contains(keys.get(i));
            boolean should = terms.contains(vocabulary.get(i));
            if (should && !has) {
                missing.add(c.untag(vocabulary.get(i)));
            } else if (has && !should) {
                extra.add(c.untag(vocabulary.get(i)));
            }
        }
        if (!missing.isEmpty()) {
            problems.add(name + ": no posting for " + missing.size() + " terms of its text, e.g. " + first(missing)
                    + " (search would miss it)");
        }
        if (!extra.isEmpty()) {
            problems.add(name + ": " + extra.size() + " postings for terms its text does not hold, e.g. " + first(extra)
                    + " (left by an unfinished change)");
        }
    }

    private static List<String> first(List<String> words) {
        return words.subList(0, Math.min(5, words.size()));
    }

    private static boolean visible(Store<byte[]> raw, long id) {
        Optional<Item<byte[]>> state = await(raw.get("doc#" + id, "doc"));
        if (state.isEmpty()) {
            return false;
        }
        JsonNode s = json(state.get());
        return s.path("version").asLong() > 0 && !s.path("deleting").asBoolean(false);
    }

    private static JsonNode json(Item<byte[]> item) {
        try {
            return JSON.readTree(item.value());
        } catch (IOException e) {
            throw new IllegalStateException("item " + item.key() + " of the document store is not JSON: " + e.getMessage(), e);
        }
    }
}
