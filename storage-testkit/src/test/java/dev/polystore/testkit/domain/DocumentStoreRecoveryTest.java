package dev.polystore.testkit.domain;

import static dev.polystore.testkit.domain.Await.await;
import static dev.polystore.testkit.domain.Await.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.ConditionFailedException;
import dev.polystore.DocumentStore;
import dev.polystore.Item;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Store;
import dev.polystore.document.Document;
import dev.polystore.document.NewDocument;
import dev.polystore.document.SearchHit;
import dev.polystore.internal.DefaultStorage;
import dev.polystore.testkit.MutableClock;
import dev.polystore.memory.MemoryBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A writer that dies between the steps of a large change: search stays exact meanwhile (extra
 * postings never show), the change is completed by the next writer of the document, and no
 * orphan item is left after that.
 */
class DocumentStoreRecoveryTest {
    private final MutableClock clock = MutableClock.startingNow();
    private final MemoryBackend shared = new MemoryBackend(clock);

    /** A storage over the shared data whose process dies after {@code transactions} transactions. */
    private DocumentStore process(int transactions) {
        return new DefaultStorage("memory", new CrashingBackend(shared, transactions), clock).documents();
    }

    private Store<byte[]> raw() {
        return new DefaultStorage("memory", new CrashingBackend(shared, Integer.MAX_VALUE), clock)
                .store("documents", Codec.bytes());
    }

    private static String words(String stem, int n) {
        return String.join(" ", IntStream.range(0, n).mapToObj(i -> stem + i).toList());
    }

    private static List<Long> ids(List<SearchHit> hits) {
        return hits.stream().map(SearchHit::id).toList();
    }

    private long postings(long id, String stem, int n) {
        long count = 0;
        for (int i = 0; i < n; i++) {
            count += await(raw().get("term#" + stem + i, String.format("%019d", id))).isPresent() ? 1 : 0;
        }
        return count;
    }

    @Test
    @DisplayName("an update that died before becoming visible is invisible to search, then completed by the next reader or writer")
    void diedBeforeSwitch() {
        DocumentStore first = process(Integer.MAX_VALUE);
        long id = await(first.addDocument(NewDocument.of("t", words("old", 300))));
        failure(OutcomeUnknownException.class, process(1).updateDocument(id, 1, NewDocument.of("t", words("new", 300))));
        assertTrue(postings(id, "new", 300) > 0, "the dead writer left postings of its new terms");
        assertEquals(List.of(), await(first.search("new0", 10)), "postings of content not yet visible do not show");
        assertEquals(List.of(id), ids(await(first.search("old0 old299", 10))));

        DocumentStore next = process(Integer.MAX_VALUE);
        failure(ConditionFailedException.class, next.updateDocument(id, 1, NewDocument.of("t", "other")));
        Document d = await(next.getDocument(id)).orElseThrow();
        assertEquals(2, d.version(), "the recorded change was completed first");
        assertEquals(words("new", 300), d.body());
        assertEquals(List.of(id), ids(await(next.search("new0 new299", 10))));
        assertEquals(List.of(), await(next.search("old0", 10)));
        assertEquals(0, postings(id, "old", 300), "no stale posting left");
        assertEquals(300, postings(id, "new", 300));
    }

    @Test
    @DisplayName("a reader that meets an update that died before becoming visible completes it")
    void readerCompletesAnUpdate() {
        DocumentStore first = process(Integer.MAX_VALUE);
        long id = await(first.addDocument(NewDocument.of("t", words("old", 300))));
        failure(OutcomeUnknownException.class, process(1).updateDocument(id, 1, NewDocument.of("t", words("new", 300))));
        Document d = await(process(Integer.MAX_VALUE).getDocument(id)).orElseThrow();
        assertEquals(2, d.version(), "getDocument completed the recorded change before answering");
        assertEquals(words("new", 300), d.body());
        assertEquals(0, postings(id, "old", 300), "no stale posting left");
        assertEquals(List.of(id), ids(await(first.search("new0 new299", 10))));
    }

    @Test
    @DisplayName("an update that died after becoming visible never shows stale postings, and is cleaned by the next writer")
    void diedDuringCleanup() {
        DocumentStore first = process(Integer.MAX_VALUE);
        long id = await(first.addDocument(NewDocument.of("t", words("old", 300))));
        // 300 new terms take 4 transactions to post and switch; the fifth removes stale postings.
        failure(OutcomeUnknownException.class, process(4).updateDocument(id, 1, NewDocument.of("t", words("new", 300))));
        assertTrue(postings(id, "old", 300) > 0, "the dead writer left stale postings");
        for (int i = 0; i < 300; i += 37) {
            assertEquals(List.of(), await(first.search("old" + i, 10)), "stale posting old" + i + " must not match");
        }
        assertEquals(List.of(id), ids(await(first.search("new0 new299", 10))));
        assertEquals(2, await(first.getDocument(id)).orElseThrow().version(), "the change became visible");

        Document updated = await(process(Integer.MAX_VALUE).updateDocument(id, 2, NewDocument.of("t", "final")));
        assertEquals(3, updated.version());
        assertEquals(0, postings(id, "old", 300));
        assertEquals(0, postings(id, "new", 300));
        assertEquals(List.of(id), ids(await(first.search("final", 10))));
    }

    @Test
    @DisplayName("a delete that died after hiding the document is completed by the next delete, leaving nothing")
    void diedDuringDelete() {
        DocumentStore first = process(Integer.MAX_VALUE);
        long id = await(first.addDocument(NewDocument.of("t", words("gone", 250))));
        long other = await(first.addDocument(NewDocument.of("t", "other")));
        await(first.link(other, id, "cites"));
        failure(OutcomeUnknownException.class, process(1).deleteDocument(id));
        assertEquals(Optional.empty(), await(first.getDocument(id)));
        assertEquals(List.of(), await(first.search("gone0", 10)));
        assertFalse(await(process(Integer.MAX_VALUE).deleteDocument(id)), "already deleted by the dead writer");
        assertEquals(List.of(), await(raw().query("doc#" + id, "")).stream().map(Item::sk).toList());
        assertEquals(List.of(), await(raw().query("doc#" + other, "link")).stream().map(Item::sk).toList());
        assertEquals(0, postings(id, "gone", 250));
        assertEquals(new ArrayList<>(), new ArrayList<>(await(first.linksFrom(other))));
    }
}
