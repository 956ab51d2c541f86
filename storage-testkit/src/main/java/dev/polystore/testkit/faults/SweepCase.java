package dev.polystore.testkit.faults;

import dev.polystore.Codec;
import dev.polystore.Storage;
import dev.polystore.Store;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * One case of the sweep: a fresh storage, the names unique to it, and what its operation's
 * set-up and run recorded (document ids by name, the words they index). Handed to every method
 * of a {@link SweepOperation}. Not thread-safe (a case runs on one thread).
 */
public final class SweepCase {
    /** The core store the core operations use. */
    public static final String CORE_STORE = "faults";
    /** A second store, for transactions across stores. */
    public static final String OTHER_STORE = "faults_other";

    private Storage storage;
    private final FaultInjector injector;
    private final String tag;
    private final Supplier<Storage> reopen;
    private final Map<String, Object> values = new HashMap<>();
    private final Map<String, Long> documents = new TreeMap<>();
    private final Set<String> vocabulary = new TreeSet<>();
    private final Set<String> firstWords = new TreeSet<>();
    private final Map<String, Integer> tolerated = new TreeMap<>();

    SweepCase(Storage storage, FaultInjector injector, String tag, Supplier<Storage> reopen) {
        this.storage = Objects.requireNonNull(storage, "storage");
        this.injector = Objects.requireNonNull(injector, "injector");
        this.tag = Objects.requireNonNull(tag, "tag");
        this.reopen = reopen;
    }

    /** The storage under test (faults pass through {@link #injector()}). */
    public Storage storage() {
        return storage;
    }

    public FaultInjector injector() {
        return injector;
    }

    /** Lower-case letters and digits unique to this case. */
    public String tag() {
        return tag;
    }

    /** A partition key unique to this case. */
    public String pk(String name) {
        return "fault-" + tag + "#" + name;
    }

    /** An id for a dialogue, perspective or tension, unique to this case. */
    public String id(String name) {
        return name + "-" + tag;
    }

    /** {@code text} without this case's tag, so observations of different cases compare equal. */
    public String untag(String text) {
        return text == null ? null : text.replace(tag, "");
    }

    /**
     * {@code n} distinct words {@code <stem><i><tag>}, separated by spaces, recorded in
     * {@link #vocabulary()}; search terms unique to this case.
     */
    public String words(String stem, int n) {
        List<String> ws = IntStream.range(0, n).mapToObj(i -> stem + i + tag).toList();
        vocabulary.addAll(ws);
        firstWords.add(ws.get(0));
        return String.join(" ", ws);
    }

    /** One word {@code <stem><tag>}, recorded in {@link #vocabulary()}. */
    public String word(String stem) {
        String w = stem + tag;
        vocabulary.add(w);
        firstWords.add(w);
        return w;
    }

    /**
     * The first word of each {@link #words} and every {@link #word}: the lowest term of each group,
     * so among the first a document's index entries get; the postings of these find every document
     * the case wrote, even one whose id nobody was told.
     */
    public Set<String> firstWords() {
        return firstWords;
    }

    /** Every word this case's documents were given (their search terms, lower case). */
    public Set<String> vocabulary() {
        return vocabulary;
    }

    /** Remembers the id of a document by the name the operation gave it. */
    public void document(String name, long id) {
        documents.put(name, id);
    }

    /** The id of a document remembered by name. */
    public long document(String name) {
        Long id = documents.get(name);
        if (id == null) {
            throw new IllegalStateException("no document named " + name + " in this case");
        }
        return id;
    }

    /** The remembered documents, by name. */
    public Map<String, Long> documents() {
        return documents;
    }

    /** The name a document was remembered by, or {@code "#<id>"}. */
    public String nameOf(long id) {
        return documents.entrySet().stream().filter(e -> e.getValue() == id).map(Map.Entry::getKey).findFirst()
                .orElse("#" + id);
    }

    /** Stores a value for later methods of the operation. */
    public void put(String name, Object value) {
        values.put(name, value);
    }

    @SuppressWarnings("unchecked")
    public <T> T get(String name) {
        return (T) values.get(name);
    }

    /** The core store, with UTF-8 string values. */
    public Store<String> core() {
        return storage.store(CORE_STORE, Codec.utf8());
    }

    /** The second store, for transactions across stores. */
    public Store<String> other() {
        return storage.store(OTHER_STORE, Codec.utf8());
    }

    /** Raw payloads of a store (the domain stores' items, say). */
    public Store<byte[]> raw(String store) {
        return storage.store(store, Codec.bytes());
    }

    /**
     * Opens the storage again on the same engine (the previous one must be closed), for
     * operations that close it; the new storage replaces {@link #storage()}.
     *
     * @throws IllegalStateException if the backend under test is not persistent
     */
    public Storage reopen() {
        if (reopen == null) {
            throw new IllegalStateException("the backend under test does not keep data across close");
        }
        storage = reopen.get();
        return storage;
    }

    /**
     * Records a known deviation the sweep accepts for now instead of reporting it as a
     * violation; the figures count each, so that it stays visible.
     */
    public void tolerate(String what) {
        tolerated.merge(what, 1, Integer::sum);
    }

    Map<String, Integer> tolerated() {
        return tolerated;
    }

    /** Whether {@link #reopen()} is possible. */
    public boolean persistent() {
        return reopen != null;
    }
}
