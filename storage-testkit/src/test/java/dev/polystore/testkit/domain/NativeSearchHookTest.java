package dev.polystore.testkit.domain;

import static dev.polystore.testkit.domain.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polystore.Capabilities;
import dev.polystore.Capability;
import dev.polystore.DocumentStore;
import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.StoreException;
import dev.polystore.document.NewDocument;
import dev.polystore.document.SearchHit;
import dev.polystore.internal.DefaultStorage;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.SearchIndex;
import dev.polystore.spi.SearchTerms;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import dev.polystore.testkit.MutableClock;
import dev.polystore.memory.MemoryBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The native search hook, with a fake engine index that follows the hook's contract: it
 * indexes the text items written by transactions, and scores by its own measure (shorter text
 * first), so results must come in its order, not the portable one.
 */
class NativeSearchHookTest {
    private final MutableClock clock = MutableClock.startingNow();

    /**
     * Memory backend plus an index of text items kept in step with every transaction: each text
     * is indexed, when written, under the terms {@code tokenizer} finds in it (by default the
     * portable tokenizer's, which makes a correct native index).
     */
    static final class IndexingBackend implements StorageBackend, SearchIndex {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final MemoryBackend items;
        private final Capabilities capabilities;
        private final boolean offerIndex;
        private final Function<String, Set<String>> tokenizer;
        private final Map<String, String> texts = new HashMap<>();
        private final Map<String, Set<String>> indexed = new HashMap<>();
        final AtomicInteger prepared = new AtomicInteger();
        final AtomicInteger searches = new AtomicInteger();

        IndexingBackend(Clock clock, boolean offerIndex) {
            this(clock, offerIndex, text -> SearchTerms.frequencies(text).keySet());
        }

        IndexingBackend(Clock clock, boolean offerIndex, Function<String, Set<String>> tokenizer) {
            this.tokenizer = tokenizer;
            this.items = new MemoryBackend(clock);
            Capabilities c = items.capabilities();
            EnumSet<Capability> caps = EnumSet.copyOf(c.supported());
            caps.add(Capability.NATIVE_SEARCH);
            this.capabilities = new Capabilities(caps, c.maxTransactionItems(), c.maxTransactionBytes(),
                    c.maxBatchGetItems(), c.maxBatchWriteItems());
            this.offerIndex = offerIndex;
        }

        @Override
        public synchronized CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
            CompletableFuture<List<Long>> result = items.transact(operations);
            if (!result.isCompletedExceptionally()) {
                for (WriteOp op : operations) {
                    if (op.table().equals("documents") && op.key().sk().equals(TEXT_SORT_KEY)) {
                        if (op instanceof WriteOp.Put put) {
                            String text = text(put.payload());
                            texts.put(op.key().pk(), text);
                            indexed.put(op.key().pk(), Set.copyOf(tokenizer.apply(text)));
                        } else if (op instanceof WriteOp.Delete) {
                            texts.remove(op.key().pk());
                            indexed.remove(op.key().pk());
                        }
                    }
                }
            }
            return result;
        }

        private static String text(byte[] payload) {
            try {
                JsonNode node = JSON.readTree(payload);
                return node.get("title").asText() + "\n" + node.get("body").asText();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public Optional<SearchIndex> searchIndex() {
            return offerIndex ? Optional.of(this) : Optional.empty();
        }

        @Override
        public CompletableFuture<Void> prepareIndex(String table) {
            prepared.incrementAndGet();
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public synchronized CompletableFuture<List<Match>> search(String table, List<String> terms, int limit) {
            searches.incrementAndGet();
            List<Match> out = new ArrayList<>();
            indexed.forEach((pk, termsOfText) -> {
                if (termsOfText.containsAll(terms)) {
                    out.add(new Match(pk, 1.0 / texts.get(pk).length()));
                }
            });
            out.sort(Comparator.comparingDouble(Match::score).reversed()
                    .thenComparingLong(m -> Long.parseLong(m.pk().substring(DOCUMENT_PK_PREFIX.length()))));
            return CompletableFuture.completedFuture(out.subList(0, Math.min(limit, out.size())));
        }

        @Override
        public Capabilities capabilities() {
            return capabilities;
        }

        @Override
        public CompletableFuture<Void> prepareTable(String table) {
            return items.prepareTable(table);
        }

        @Override
        public CompletableFuture<Optional<RawItem>> get(String table, Key key) {
            return items.get(table, key);
        }

        @Override
        public CompletableFuture<Long> put(WriteOp.Put put) {
            return items.put(put);
        }

        @Override
        public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
            return items.delete(delete);
        }

        @Override
        public CompletableFuture<RawPage> query(QuerySpec query) {
            return items.query(query);
        }

        @Override
        public CompletableFuture<List<RawItem>> batchGet(String table, List<Key> keys) {
            return items.batchGet(table, keys);
        }

        @Override
        public CompletableFuture<Void> batchWrite(String table, List<WriteOp> writes) {
            return items.batchWrite(table, writes);
        }

        @Override
        public CompletableFuture<Health> health() {
            return items.health();
        }

        @Override
        public String name() {
            return "indexing";
        }

        @Override
        public void close() {
            items.close();
        }
    }

    @Test
    @DisplayName("a backend declaring NATIVE_SEARCH answers search through its index, in its own order")
    void searchGoesThroughTheHook() {
        IndexingBackend backend = new IndexingBackend(clock, true);
        try (DefaultStorage storage = new DefaultStorage("indexing", backend, clock)) {
            DocumentStore docs = storage.documents();
            long longer = await(docs.addDocument(NewDocument.of("a", "apple apple apple apple pear")));
            long shorter = await(docs.addDocument(NewDocument.of("b", "apple")));
            long gone = await(docs.addDocument(NewDocument.of("c", "apple pie")));
            await(docs.deleteDocument(gone));
            List<SearchHit> hits = await(docs.search("APPLE", 10));
            assertEquals(List.of(shorter, longer), hits.stream().map(SearchHit::id).toList(),
                    "the engine's order (shorter first), not the portable one (more occurrences first)");
            assertEquals("b", hits.get(0).title());
            await(docs.search("pear", 10));
            assertEquals(2, backend.searches.get());
            assertEquals(1, backend.prepared.get(), "prepareIndex is called once per store");
            assertTrue(await(docs.search("", 10)).isEmpty());
            assertEquals(2, backend.searches.get(), "a query without terms never reaches the engine");
        }
    }

    @Test
    @DisplayName("declaring NATIVE_SEARCH without offering an index fails clearly")
    void declaredButMissing() {
        try (DefaultStorage storage = new DefaultStorage("indexing", new IndexingBackend(clock, false), clock)) {
            StoreException e = assertThrows(StoreException.class, storage::documents);
            assertTrue(e.getMessage().contains("NATIVE_SEARCH"), e.getMessage());
        }
    }
}
