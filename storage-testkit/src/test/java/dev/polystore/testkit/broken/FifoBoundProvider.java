package dev.polystore.testkit.broken;

import dev.polystore.Condition;
import dev.polystore.Key;
import dev.polystore.memory.MemoryBackend;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;
import dev.polystore.spi.WriteOp;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Broken on purpose: bounded to 4 items, but evicts in the order items were first written
 * (FIFO), ignoring reads and overwrites. {@code LruBoundContract} must catch it.
 */
public final class FifoBoundProvider implements StorageProvider {
    @Override
    public String name() {
        return "brokenfifo";
    }

    @Override
    public StorageBackend open(ProviderContext context) {
        context.config().rejectUnknownKeys();
        return new ForwardingStorageBackend(new MemoryBackend(context.clock())) {
            private final LinkedHashSet<Map.Entry<String, Key>> order = new LinkedHashSet<>();

            @Override
            public String name() {
                return "brokenfifo";
            }

            @Override
            public synchronized CompletableFuture<Long> put(WriteOp.Put put) {
                CompletableFuture<Long> done = super.put(put);
                if (!done.isCompletedExceptionally()) {
                    order.add(Map.entry(put.table(), put.key()));
                    while (order.size() > 4) {
                        Iterator<Map.Entry<String, Key>> it = order.iterator();
                        Map.Entry<String, Key> first = it.next();
                        it.remove();
                        super.delete(new WriteOp.Delete(first.getKey(), first.getValue(), Condition.none())).join();
                    }
                }
                return done;
            }

            @Override
            public synchronized CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
                order.remove(Map.entry(delete.table(), delete.key()));
                return super.delete(delete);
            }
        };
    }
}
