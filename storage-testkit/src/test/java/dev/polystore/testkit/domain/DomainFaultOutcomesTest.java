package dev.polystore.testkit.domain;

import static dev.polystore.testkit.domain.Await.await;
import static dev.polystore.testkit.domain.Await.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.ConditionFailedException;
import dev.polystore.DialogueStore;
import dev.polystore.DocumentStore;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.NotFoundException;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Store;
import dev.polystore.UnavailableException;
import dev.polystore.dialogue.Perspective;
import dev.polystore.dialogue.Tension;
import dev.polystore.dialogue.TensionEvent;
import dev.polystore.dialogue.TensionStatus;
import dev.polystore.document.Document;
import dev.polystore.document.DocumentOutcomeUnknownException;
import dev.polystore.document.Link;
import dev.polystore.document.NewDocument;
import dev.polystore.document.SearchHit;
import dev.polystore.internal.DefaultStorage;
import dev.polystore.memory.MemoryBackend;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import dev.polystore.testkit.MutableClock;
import dev.polystore.testkit.faults.SpiFaultInjector;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, section 3: the domain stores' outcomes after failures, each staged through
 * {@link ForwardingStorageBackend}s over one shared memory backend (a view that "crashes" after
 * some transactions plays a writer that died; {@link SpiFaultInjector} fails one chosen call).
 */
class DomainFaultOutcomesTest {
    private final MutableClock clock = MutableClock.startingNow();
    private final MemoryBackend shared = new MemoryBackend(clock);

    /** A storage over the shared data, through {@code layer}. */
    private DefaultStorage over(StorageBackend layer) {
        return new DefaultStorage("memory", layer, clock);
    }

    /** A healthy view of the shared data (a process that does not crash). */
    private StorageBackend healthy() {
        return new CrashingBackend(shared, Integer.MAX_VALUE);
    }

    private DocumentStore documents() {
        return over(healthy()).documents();
    }

    /** Documents of a process that dies after {@code transactions} transactions. */
    private DocumentStore dying(int transactions) {
        return over(new CrashingBackend(shared, transactions)).documents();
    }

    private Store<byte[]> raw() {
        return over(healthy()).store("documents", Codec.bytes());
    }

    private static String words(String stem, int n) {
        return String.join(" ", IntStream.range(0, n).mapToObj(i -> stem + i).toList());
    }

    private static List<Long> ids(List<SearchHit> hits) {
        return hits.stream().map(SearchHit::id).toList();
    }

    private List<String> sks(String pk) {
        return await(raw().query(pk, "")).stream().map(Item::sk).toList();
    }

    private long postings(long id, String stem, int n) {
        long count = 0;
        for (int i = 0; i < n; i++) {
            count += await(raw().get("term#" + stem + i, String.format("%019d", id))).isPresent() ? 1 : 0;
        }
        return count;
    }

    /**
     * Fails one call of {@code method} with {@link UnavailableException}: the first one after the
     * {@code commits}-th successful transaction since {@link #arm}.
     */
    static final class FailAfterCommit extends ForwardingStorageBackend {
        private final String method;
        private final AtomicInteger commitsLeft = new AtomicInteger();
        private volatile boolean due;
        final AtomicInteger fired = new AtomicInteger();

        FailAfterCommit(StorageBackend delegate, String method) {
            super(delegate);
            this.method = method;
        }

        FailAfterCommit arm(int commits) {
            due = false;
            commitsLeft.set(commits);
            return this;
        }

        void disarm() {
            commitsLeft.set(0);
            due = false;
        }

        @Override
        public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
            return delegate.transact(operations).thenApply(v -> {
                if (commitsLeft.get() > 0 && commitsLeft.decrementAndGet() == 0) {
                    due = true;
                }
                return v;
            });
        }

        private <T> CompletableFuture<T> maybeFail(String called, java.util.function.Supplier<CompletableFuture<T>> call) {
            if (called.equals(method) && due) {
                due = false;
                fired.incrementAndGet();
                return CompletableFuture.failedFuture(new UnavailableException("staged: " + called + " failed once", null));
            }
            return call.get();
        }

        @Override
        public CompletableFuture<Optional<dev.polystore.spi.RawItem>> get(String table, Key key) {
            return maybeFail("get", () -> delegate.get(table, key));
        }

        @Override
        public CompletableFuture<RawPage> query(QuerySpec query) {
            return maybeFail("query", () -> delegate.query(query));
        }

        @Override
        public void close() {
        }
    }

    @Nested
    @DisplayName("updateTensionStatus")
    class TensionUpdates {
        @Test
        @DisplayName("a read failing once after its commit does not turn the caller's own write into a conflict")
        void readAfterCommitFails() {
            FailAfterCommit layer = new FailAfterCommit(healthy(), "query");
            DialogueStore dialogues = over(layer).dialogues();
            await(dialogues.createDialogue("d1", "t"));
            await(dialogues.registerTension("d1", "T1", 1, "Cost", "cheap?", "ada"));
            layer.arm(1);
            Tension t = await(dialogues.updateTensionStatus("d1", "T1", 1,
                    new TensionEvent(null, TensionStatus.ADDRESSED, "bob", clock.instant(), 2, "measured")));
            layer.disarm();
            assertEquals(2, t.version());
            assertEquals(List.of(TensionStatus.OPEN, TensionStatus.ADDRESSED), t.history().stream().map(TensionEvent::to).toList());
            assertEquals(Optional.of(t), await(dialogues.getTension("d1", "T1")), "the answer is what was committed");
        }

        @Test
        @DisplayName("a history read failing before the commit is retried (nothing was written) and the update succeeds once")
        void readBeforeCommitFails() {
            SpiFaultInjector injector = new SpiFaultInjector(healthy());
            DialogueStore dialogues = over(injector).dialogues();
            await(dialogues.createDialogue("d1", "t"));
            await(dialogues.registerTension("d1", "T1", 1, "Cost", "cheap?", "ada"));
            injector.armOn("query", 1, SpiFaultInjector.REFUSED);
            Tension t = await(dialogues.updateTensionStatus("d1", "T1", 1,
                    new TensionEvent(null, TensionStatus.ADDRESSED, "bob", clock.instant(), 2, "measured")));
            assertEquals(1, injector.injected().size(), "the fault fired");
            assertEquals(2, t.version());
            assertEquals(Optional.of(t), await(dialogues.getTension("d1", "T1")));
        }

        @Test
        @DisplayName("a lost answer to its commit is reported as outcome unknown naming the tension, never as a conflict")
        void lostAnswer() {
            SpiFaultInjector injector = new SpiFaultInjector(healthy());
            DialogueStore dialogues = over(injector).dialogues();
            await(dialogues.createDialogue("d1", "t"));
            await(dialogues.registerTension("d1", "T1", 1, "Cost", "cheap?", "ada"));
            injector.armOn("transact", 1, SpiFaultInjector.RESPONSE_LOST);
            OutcomeUnknownException e = failure(OutcomeUnknownException.class, dialogues.updateTensionStatus("d1", "T1", 1,
                    new TensionEvent(null, TensionStatus.ADDRESSED, "bob", clock.instant(), 2, "measured")));
            assertEquals(Optional.of(Key.of("dlg#d1", "T#T1#")), e.key());
            assertTrue(e.getMessage().contains("tension 'T1' of dialogue 'd1'"), e.getMessage());
            assertEquals(2, await(dialogues.getTension("d1", "T1")).orElseThrow().version(), "it was applied");
        }
    }

    @Nested
    @DisplayName("domain errors")
    class DomainErrors {
        @Test
        @DisplayName("a lost answer to createDialogue is outcome unknown naming the dialogue and its key")
        void createLost() {
            SpiFaultInjector injector = new SpiFaultInjector(healthy());
            DialogueStore dialogues = over(injector).dialogues();
            await(dialogues.getDialogue("warm"));
            injector.armOn("transact", 1, SpiFaultInjector.RESPONSE_LOST);
            OutcomeUnknownException e = failure(OutcomeUnknownException.class, dialogues.createDialogue("d1", "t"));
            assertEquals(Optional.of(Key.of("dlg#d1", "D")), e.key());
            assertTrue(e.getMessage().contains("creating dialogue 'd1'"), e.getMessage());
            injector.armOn("transact", 1, SpiFaultInjector.REFUSED);
            UnavailableException u = failure(UnavailableException.class, dialogues.createDialogue("d2", "t"));
            assertTrue(u.getMessage().contains("creating dialogue 'd2'") && u.getMessage().contains("nothing was written"),
                    u.getMessage());
        }

        /** Every transaction fails on its first operation (the summary), as if another writer always came first. */
        private StorageBackend alwaysLosing() {
            return new ForwardingStorageBackend(healthy()) {
                @Override
                public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
                    return CompletableFuture.failedFuture(new ConditionFailedException("staged: always lost",
                            operations.get(0).key(), 0, null));
                }

                @Override
                public void close() {
                }
            };
        }

        @Test
        @DisplayName("running out of attempts against concurrent writers is 'not written, try again', never a condition failure")
        void exhaustedRetries() {
            DialogueStore ok = over(healthy()).dialogues();
            await(ok.createDialogue("d1", "t"));
            long doc = await(documents().addDocument(NewDocument.of("t", "b")));
            DefaultStorage losing = over(alwaysLosing());
            UnavailableException e = failure(UnavailableException.class,
                    losing.dialogues().registerPerspective(new Perspective("P1", "d1", 1, "ada", "l", "b")));
            assertTrue(e.getMessage().contains("perspective 'P1'") && e.getMessage().contains("nothing was written"),
                    e.getMessage());
            failure(UnavailableException.class, losing.documents().updateDocument(doc, 1, NewDocument.of("t", "c")));
            failure(UnavailableException.class, losing.documents().link(doc, doc, "self"));
            assertEquals(Optional.empty(), await(ok.getPerspective("d1", "P1")));
        }
    }

    @Nested
    @DisplayName("an ambiguous addDocument")
    class AmbiguousAdd {
        @Test
        @DisplayName("names the id it allocated, so the caller can read it back; reading it back shows the one document")
        void namesTheId() {
            SpiFaultInjector injector = new SpiFaultInjector(healthy());
            DocumentStore documents = over(injector).documents();
            await(documents.getDocument(1));
            injector.armOn("transact", 1, SpiFaultInjector.RESPONSE_LOST);
            DocumentOutcomeUnknownException e = failure(DocumentOutcomeUnknownException.class,
                    documents.addDocument(NewDocument.of("report", "quarterly figures")));
            long id = e.documentId();
            assertEquals(Optional.of(Key.of("doc#" + id, "doc")), e.key());
            assertTrue(e.getMessage().contains("getDocument(" + id + ")"), e.getMessage());
            assertEquals("quarterly figures", await(documents.getDocument(id)).orElseThrow().body());
            assertEquals(List.of(id), ids(await(documents.search("quarterly", 10))));
        }

        @Test
        @DisplayName("large: its first step applied, the next failed; the id is named and reading it back completes it")
        void largeNamesTheId() {
            DocumentOutcomeUnknownException e = failure(DocumentOutcomeUnknownException.class,
                    dying(1).addDocument(NewDocument.of("big", words("w", 300))));
            long id = e.documentId();
            DocumentStore documents = documents();
            assertEquals(List.of(), await(documents.search("w299", 10)), "not visible before it is complete");
            Document d = await(documents.getDocument(id)).orElseThrow();
            assertEquals(1, d.version());
            assertEquals(words("w", 300), d.body());
            assertEquals(List.of(id), ids(await(documents.search("w0 w299", 10))));
            assertEquals(300, postings(id, "w", 300));
        }

        @Test
        @DisplayName("with a request id, a retry after a lost answer answers the same id, and there is one document")
        void retryWithRequestId() {
            SpiFaultInjector injector = new SpiFaultInjector(healthy());
            DocumentStore documents = over(injector).documents();
            await(documents.getDocument(1));
            injector.armOn("transact", 1, SpiFaultInjector.RESPONSE_LOST);
            DocumentOutcomeUnknownException e = failure(DocumentOutcomeUnknownException.class,
                    documents.addDocument(NewDocument.of("memo", "unique memo"), "req-1"));
            long retried = await(documents.addDocument(NewDocument.of("memo", "unique memo"), "req-1"));
            assertEquals(e.documentId(), retried);
            assertEquals(List.of(retried), ids(await(documents.search("memo", 10))));
            assertEquals(retried, await(documents().addDocument(NewDocument.of("memo", "unique memo"), "req-1")),
                    "another process with the same request id gets the same id");
        }

        @Test
        @DisplayName("with a request id, a retry after an attempt that never arrived adds the document once")
        void retryAfterUnsent() {
            SpiFaultInjector injector = new SpiFaultInjector(healthy());
            DocumentStore documents = over(injector).documents();
            await(documents.getDocument(1));
            injector.armOn("transact", 1, SpiFaultInjector.TIMED_OUT_UNSENT);
            failure(DocumentOutcomeUnknownException.class, documents.addDocument(NewDocument.of("memo", "lonely memo"), "r2"));
            long id = await(documents.addDocument(NewDocument.of("memo", "lonely memo"), "r2"));
            assertEquals(List.of(id), ids(await(documents.search("lonely", 10))));
        }

        @Test
        @DisplayName("racing calls with one request id all answer the same id, and add one document")
        void racingRequestIds() {
            List<Callable<CompletableFuture<?>>> calls = new ArrayList<>();
            List<CompletableFuture<Long>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                DocumentStore own = documents();
                calls.add(() -> {
                    CompletableFuture<Long> f = own.addDocument(NewDocument.of("race", "racing memo"), "same");
                    synchronized (futures) {
                        futures.add(f);
                    }
                    return f;
                });
            }
            List<Throwable> outcomes = Await.race(calls);
            outcomes.forEach(o -> assertEquals(null, o, "every racer succeeds"));
            long id = futures.get(0).join();
            futures.forEach(f -> assertEquals(id, f.join()));
            assertEquals(List.of(id), ids(await(documents().search("racing", 10))));
        }
    }

    @Nested
    @DisplayName("an ambiguous id-block reservation")
    class IdReservation {
        @Test
        @DisplayName("whose write was applied is reserved again from the counter: the add succeeds, ids stay unique")
        void appliedCounterWrite() {
            SpiFaultInjector injector = new SpiFaultInjector(healthy());
            DocumentStore documents = over(injector).documents();
            await(documents.getDocument(1));
            injector.armOn("put", 1, SpiFaultInjector.RESPONSE_LOST);
            long id = await(documents.addDocument(NewDocument.of("a", "first")));
            assertEquals(1, injector.injected().size(), "the counter write's answer was lost");
            long other = await(documents().addDocument(NewDocument.of("b", "second")));
            assertNotEquals(id, other);
            assertEquals("first", await(documents.getDocument(id)).orElseThrow().body());
        }

        @Test
        @DisplayName("whose write never arrived is reserved again: the add succeeds")
        void unsentCounterWrite() {
            SpiFaultInjector injector = new SpiFaultInjector(healthy());
            DocumentStore documents = over(injector).documents();
            await(documents.getDocument(1));
            injector.armOn("put", 1, SpiFaultInjector.TIMED_OUT_UNSENT);
            long id = await(documents.addDocument(NewDocument.of("a", "first")));
            assertEquals("first", await(documents.getDocument(id)).orElseThrow().body());
        }

        @Test
        @DisplayName("that stays in doubt is reported as not written (no document exists), not as an ambiguous add")
        void alwaysInDoubt() {
            DocumentStore documents = over(new ForwardingStorageBackend(healthy()) {
                @Override
                public CompletableFuture<Long> put(WriteOp.Put put) {
                    return CompletableFuture.failedFuture(new OutcomeUnknownException("staged: timed out", put.key(), null));
                }

                @Override
                public void close() {
                }
            }).documents();
            UnavailableException e = failure(UnavailableException.class, documents.addDocument(NewDocument.of("a", "ghost")));
            assertTrue(e.getMessage().contains("nothing was written"), e.getMessage());
            assertEquals(List.of(), await(documents().search("ghost", 10)));
        }
    }

    @Nested
    @DisplayName("an interrupted delete (the document hidden, the rest left)")
    class InterruptedDelete {
        long gone;
        long other;

        private void interrupt() {
            DocumentStore first = documents();
            gone = await(first.addDocument(NewDocument.of("t", words("gone", 250))));
            other = await(first.addDocument(NewDocument.of("t", "other")));
            await(first.link(other, gone, "cites"));
            await(first.link(gone, other, "cites"));
            DocumentOutcomeUnknownException e = failure(DocumentOutcomeUnknownException.class, dying(1).deleteDocument(gone));
            assertEquals(gone, e.documentId());
        }

        private void assertFinished() {
            assertEquals(List.of(), sks("doc#" + gone), "no item of the deleted document is left");
            assertEquals(List.of(), sks("doc#" + other).stream().filter(sk -> sk.startsWith("link")).toList(),
                    "no link to it is left");
            assertEquals(0, postings(gone, "gone", 250), "no posting of it is left");
        }

        @Test
        @DisplayName("is finished by a read of it")
        void byRead() {
            interrupt();
            assertEquals(Optional.empty(), await(documents().getDocument(gone)));
            assertFinished();
        }

        @Test
        @DisplayName("does not show in the other document's links, and is finished by listing them")
        void byLinkListing() {
            interrupt();
            assertEquals(List.<Link>of(), await(documents().linksFrom(other)));
            assertEquals(List.<Link>of(), await(documents().linksTo(other)));
            assertFinished();
        }

        @Test
        @DisplayName("is finished by an update of it, which then finds no document")
        void byUpdate() {
            interrupt();
            failure(NotFoundException.class, documents().updateDocument(gone, 1, NewDocument.of("t", "back")));
            assertFinished();
        }

        @Test
        @DisplayName("is finished by linking to it, which then finds no document")
        void byLink() {
            interrupt();
            failure(NotFoundException.class, documents().link(other, gone, "cites"));
            assertFinished();
        }

        @Test
        @DisplayName("is finished by another delete, which reports it was already deleted")
        void byDelete() {
            interrupt();
            assertFalse(await(documents().deleteDocument(gone)));
            assertFinished();
        }
    }

    @Nested
    @DisplayName("an interrupted large add (first step recorded, the rest left)")
    class InterruptedAdd {
        long id;

        private void interrupt() {
            id = failure(DocumentOutcomeUnknownException.class,
                    dying(1).addDocument(NewDocument.of("t", words("big", 300)))).documentId();
        }

        private void assertComplete() {
            assertEquals(List.of(id), ids(await(documents().search("big0 big299", 10))));
            assertEquals(300, postings(id, "big", 300));
        }

        @Test
        @DisplayName("is completed by a read of it")
        void byRead() {
            interrupt();
            assertEquals(words("big", 300), await(documents().getDocument(id)).orElseThrow().body());
            assertComplete();
        }

        @Test
        @DisplayName("is completed by an update of it, which then applies to version 1")
        void byUpdate() {
            interrupt();
            Document d = await(documents().updateDocument(id, 1, NewDocument.of("t", "small now")));
            assertEquals(2, d.version());
            assertEquals(0, postings(id, "big", 300), "the completed add's postings left with its text");
            assertEquals(List.of(id), ids(await(documents().search("small", 10))));
        }

        @Test
        @DisplayName("is seen by a delete, which completes it, deletes it and reports it existed")
        void byDelete() {
            interrupt();
            assertTrue(await(documents().deleteDocument(id)));
            assertEquals(List.of(), sks("doc#" + id));
            assertEquals(0, postings(id, "big", 300));
        }

        @Test
        @DisplayName("is completed by linking to it")
        void byLink() {
            interrupt();
            long other = await(documents().addDocument(NewDocument.of("t", "other")));
            await(documents().link(other, id, "cites"));
            assertEquals(List.of(new Link(other, id, "cites")), await(documents().linksTo(id)));
            assertComplete();
        }
    }

    @Nested
    @DisplayName("a finished change")
    class FinishedChanges {
        @Test
        @DisplayName("is not reported as unfinished when a read after its single transaction fails")
        void singleTransaction() {
            FailAfterCommit layer = new FailAfterCommit(healthy(), "query");
            DocumentStore documents = over(layer).documents();
            await(documents.getDocument(1));
            layer.arm(1);
            long id = await(documents.addDocument(NewDocument.of("t", "small doc")));
            layer.arm(1);
            Document d = await(documents.updateDocument(id, 1, NewDocument.of("t", "small update")));
            layer.disarm();
            assertEquals(2, d.version());
            assertEquals(Optional.of(d.body()), await(documents().getDocument(id)).map(Document::body));
        }

        @Test
        @DisplayName("of several steps survives a failed read between steps (the read is retried)")
        void severalSteps() {
            FailAfterCommit layer = new FailAfterCommit(healthy(), "query");
            DocumentStore documents = over(layer).documents();
            await(documents.getDocument(1));
            layer.arm(1);
            long id = await(documents.addDocument(NewDocument.of("t", words("many", 300))));
            layer.disarm();
            assertEquals(1, layer.fired.get(), "a read between steps failed");
            assertEquals(300, postings(id, "many", 300));
            layer.arm(2);
            Document d = await(documents.updateDocument(id, 1, NewDocument.of("t", words("more", 300))));
            layer.disarm();
            assertEquals(2, layer.fired.get());
            assertEquals(2, d.version());
            assertEquals(0, postings(id, "many", 300));
        }
    }
}
