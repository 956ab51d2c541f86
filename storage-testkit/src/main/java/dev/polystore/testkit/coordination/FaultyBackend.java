package dev.polystore.testkit.coordination;

import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.UnavailableException;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A backend between the API and the engine under test that stages what a correct backend reports
 * for faults below it: the next {@code n} writes (put, delete or transact) are applied and then
 * their answers lost ({@link OutcomeUnknownException}), or refused unapplied but reported as
 * unknown (a client timeout); and a switch that makes every call fail with
 * {@link UnavailableException} (the engine down). Counts what it did. Thread-safe.
 */
final class FaultyBackend extends ForwardingStorageBackend {
    private final AtomicInteger loseAnswers = new AtomicInteger();
    private final AtomicInteger timeOutUnsent = new AtomicInteger();
    private final AtomicBoolean down = new AtomicBoolean();
    final AtomicLong answersLost = new AtomicLong();
    final AtomicLong timedOut = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    final AtomicLong writes = new AtomicLong();

    FaultyBackend(StorageBackend delegate) {
        super(delegate);
    }

    /** The next {@code n} writes apply and lose their answer. */
    void loseNextAnswers(int n) {
        loseAnswers.set(n);
    }

    /** The next {@code n} writes are not applied but reported as "outcome unknown". */
    void timeOutNextWritesUnsent(int n) {
        timeOutUnsent.set(n);
    }

    /** While down, every call fails at once with UnavailableException. */
    void down(boolean value) {
        down.set(value);
    }

    private static boolean take(AtomicInteger budget) {
        return budget.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
    }

    private <T> CompletableFuture<T> write(String what, Key key, Supplier<CompletableFuture<T>> call) {
        if (down.get()) {
            refused.incrementAndGet();
            return CompletableFuture.failedFuture(new UnavailableException("injected: the engine is down", null));
        }
        writes.incrementAndGet();
        if (take(timeOutUnsent)) {
            timedOut.incrementAndGet();
            return CompletableFuture.failedFuture(new OutcomeUnknownException("injected: " + what
                    + " timed out (it was not sent)", key, null));
        }
        if (take(loseAnswers)) {
            CompletableFuture<T> applied;
            try {
                applied = call.get();
            } catch (RuntimeException e) {
                applied = CompletableFuture.failedFuture(e);
            }
            return applied.handle((v, e) -> {
                answersLost.incrementAndGet();
                throw new OutcomeUnknownException("injected: the answer to " + what + " was lost after it was applied",
                        key, e);
            });
        }
        return call.get();
    }

    private <T> CompletableFuture<T> read(Supplier<CompletableFuture<T>> call) {
        if (down.get()) {
            refused.incrementAndGet();
            return CompletableFuture.failedFuture(new UnavailableException("injected: the engine is down", null));
        }
        return call.get();
    }

    @Override
    public CompletableFuture<Long> put(WriteOp.Put put) {
        return write("put", put.key(), () -> delegate.put(put));
    }

    @Override
    public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
        return write("delete", delete.key(), () -> delegate.delete(delete));
    }

    @Override
    public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
        return write("transact", operations.get(0).key(), () -> delegate.transact(operations));
    }

    @Override
    public CompletableFuture<Void> batchWrite(String table, List<WriteOp> writes) {
        return write("batchWrite", null, () -> delegate.batchWrite(table, writes));
    }

    @Override
    public CompletableFuture<Optional<RawItem>> get(String table, Key key) {
        return read(() -> delegate.get(table, key));
    }

    @Override
    public CompletableFuture<RawPage> query(QuerySpec query) {
        return read(() -> delegate.query(query));
    }

    @Override
    public CompletableFuture<List<RawItem>> batchGet(String table, List<Key> keys) {
        return read(() -> delegate.batchGet(table, keys));
    }

    @Override
    public CompletableFuture<Health> health() {
        return delegate.health();
    }
}
