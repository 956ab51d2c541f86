package dev.polystore.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.BatchWriteException;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import dev.polystore.UnavailableException;
import dev.polystore.memory.MemoryBackend;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;
import dev.polystore.spi.WriteOp;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code Store.batchPut} over chunks that fail in different ways: the API's
 * {@link BatchWriteException} lists the keys not written in {@code unprocessed()} and the keys
 * whose write may have been applied in {@code inDoubt()}, never one as the other.
 */
class BatchInDoubtTest {

    /**
     * Provider {@code chunkfaults}: the memory backend, whose batch chunks fail by their first
     * key's sort key: {@code lost…} applies the chunk and then reports an unknown outcome (an
     * answer lost), {@code refused…} writes nothing and reports unavailable, {@code mixed…}
     * reports its first key not written and its second in doubt (as a backend's own
     * BatchWriteException would), applying the rest.
     */
    public static final class ChunkFaults implements StorageProvider {
        @Override
        public String name() {
            return "chunkfaults";
        }

        @Override
        public StorageBackend open(ProviderContext context) {
            return new ForwardingStorageBackend(new MemoryBackend(context.clock())) {
                @Override
                public CompletableFuture<Void> batchWrite(String table, List<WriteOp> writes) {
                    String first = writes.get(0).key().sk();
                    if (first.startsWith("refused")) {
                        return CompletableFuture.failedFuture(new UnavailableException("injected: throttled", null));
                    }
                    if (first.startsWith("lost")) {
                        return delegate.batchWrite(table, writes).thenCompose(v -> CompletableFuture.failedFuture(
                                new OutcomeUnknownException("injected: the answer was lost", null, null)));
                    }
                    if (first.startsWith("mixed")) {
                        List<WriteOp> applied = new ArrayList<>(writes.subList(1, writes.size()));
                        return delegate.batchWrite(table, applied).thenCompose(v -> CompletableFuture.failedFuture(
                                new BatchWriteException("injected", List.of(writes.get(0).key()),
                                        List.of(writes.get(1).key()), true, null)));
                    }
                    return delegate.batchWrite(table, writes);
                }
            };
        }
    }

    @Test
    @DisplayName("keys of a chunk that failed with an unknown outcome are in doubt, not listed as not written")
    void inDoubtSeparately() {
        try (Storage storage = StoreFactory.open(StorageConfig.builder().backend("chunkfaults").build())) {
            Store<String> store = storage.store("batch", String.class);
            int chunk = storage.capabilities().maxBatchWriteItems();
            List<Item<String>> items = new ArrayList<>();
            for (String prefix : List.of("fine", "lost", "refused", "mixed")) {
                for (int i = 0; i < chunk; i++) {
                    items.add(Item.of("p", prefix + String.format("%03d", i), prefix));
                }
            }
            CompletionException e = assertThrows(CompletionException.class, () -> store.batchPut(items).join());
            BatchWriteException bwe = (BatchWriteException) e.getCause();

            Set<Key> unprocessed = new HashSet<>(bwe.unprocessed());
            Set<Key> inDoubt = new HashSet<>(bwe.inDoubt());
            Set<Key> expectedUnprocessed = new HashSet<>();
            Set<Key> expectedInDoubt = new HashSet<>();
            for (int i = 0; i < chunk; i++) {
                expectedUnprocessed.add(Key.of("p", "refused" + String.format("%03d", i)));
                expectedInDoubt.add(Key.of("p", "lost" + String.format("%03d", i)));
            }
            expectedUnprocessed.add(Key.of("p", "mixed000"));
            expectedInDoubt.add(Key.of("p", "mixed001"));
            assertEquals(expectedUnprocessed, unprocessed, "exactly the keys not written");
            assertEquals(expectedInDoubt, inDoubt, "exactly the keys in doubt");
            assertEquals(bwe.unprocessed().size(), unprocessed.size(), "no key listed twice");
            assertTrue(bwe.retryable(), "the keys not written failed for retryable reasons");
            assertTrue(bwe.getMessage().contains("inDoubt()"), bwe.getMessage());
            // Every key neither unprocessed nor in doubt was written.
            for (Item<String> item : items) {
                boolean present = store.get(item.key()).join().isPresent();
                if (!unprocessed.contains(item.key()) && !inDoubt.contains(item.key())) {
                    assertTrue(present, item.key() + " was reported written");
                }
                if (unprocessed.contains(item.key())) {
                    assertFalse(present, item.key() + " was reported not written");
                }
            }
        }
    }

    @Test
    @DisplayName("the old constructor means no key in doubt; a key cannot be both not written and in doubt")
    void constructor() {
        BatchWriteException e = new BatchWriteException("m", List.of(Key.of("a", "b")), true, null);
        assertEquals(List.of(), e.inDoubt());
        assertThrows(IllegalArgumentException.class, () -> new BatchWriteException("m", List.of(Key.of("a", "b")),
                List.of(Key.of("a", "b")), true, null));
    }
}
