package dev.polystore.testkit.reliability;

import dev.polystore.Condition;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;
import dev.polystore.spi.WriteOp;
import dev.polystore.memory.MemoryBackend;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Test provider {@code brokenexpiryleak}: declares EXPIRY and honours it everywhere except in
 * queries, which are answered from a copy whose clock never moves, so expired items leak into
 * query results (as a backend relying on the engine's lazy TTL would). Every write goes to both
 * copies, so nothing but expiry differs. The random histories must catch it, by moving the clock.
 */
public final class LeakingExpiryProvider implements StorageProvider {
    @Override
    public String name() {
        return "brokenexpiryleak";
    }

    @Override
    public StorageBackend open(ProviderContext context) {
        context.config().rejectUnknownKeys();
        MemoryBackend frozen = new MemoryBackend(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
        return new ForwardingMemory(new MemoryBackend(context.clock()), name()) {
            @Override
            public CompletableFuture<Void> prepareTable(String table) {
                return frozen.prepareTable(table).thenCompose(v -> delegate.prepareTable(table));
            }

            @Override
            public CompletableFuture<Long> put(WriteOp.Put put) {
                return delegate.put(put).thenCompose(v -> frozen.put(unconditional(put)).thenApply(ignored -> v));
            }

            @Override
            public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
                return delegate.delete(delete).thenCompose(v -> frozen.delete(
                        new WriteOp.Delete(delete.table(), delete.key(), Condition.none())).thenApply(ignored -> v));
            }

            @Override
            public CompletableFuture<Void> batchWrite(String table, List<WriteOp> writes) {
                return delegate.batchWrite(table, writes).thenCompose(v -> frozen.batchWrite(table, writes));
            }

            @Override
            public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
                List<WriteOp> copy = new ArrayList<>();
                for (WriteOp op : operations) {
                    if (op instanceof WriteOp.Put p) {
                        copy.add(unconditional(p));
                    } else if (op instanceof WriteOp.Delete d) {
                        copy.add(new WriteOp.Delete(d.table(), d.key(), Condition.none()));
                    }
                }
                return delegate.transact(operations).thenCompose(v -> copy.isEmpty() ? CompletableFuture.completedFuture(v)
                        : frozen.transact(copy).thenApply(ignored -> v));
            }

            @Override
            public CompletableFuture<RawPage> query(QuerySpec query) {
                return frozen.query(query);
            }

            @Override
            public void close() {
                frozen.close();
                super.close();
            }
        };
    }

    private static WriteOp.Put unconditional(WriteOp.Put put) {
        return new WriteOp.Put(put.table(), put.key(), put.payload(), put.expiresAt(), Condition.none());
    }
}
