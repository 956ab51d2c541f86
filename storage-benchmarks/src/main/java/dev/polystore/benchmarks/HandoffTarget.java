package dev.polystore.benchmarks;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A diagnostic contender, not a competitor: the raw driver's work moved through the same thread
 * hand-offs as Polystore's SQLite backend — the call runs on a worker thread (reads on one of 4,
 * like the backend's 4 readers; writes on 1, like its writer) and its future is completed from
 * a separate cached pool (like the backend's completion pool). The gap between {@code raw} and
 * this is the price of the hand-offs; the gap between this and {@code polystore} is the rest of
 * the abstraction.
 */
public final class HandoffTarget implements Target {
    private final Target inner;
    private final ExecutorService readers = Executors.newFixedThreadPool(4, daemon("handoff-reader"));
    private final ExecutorService writer = Executors.newSingleThreadExecutor(daemon("handoff-writer"));
    private final ExecutorService completions = Executors.newCachedThreadPool(daemon("handoff-callback"));

    public HandoffTarget(Target inner) {
        this.inner = inner;
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    private <T> CompletableFuture<T> hop(ExecutorService on, Supplier<CompletableFuture<T>> call) {
        return CompletableFuture.supplyAsync(() -> call.get().join(), on).thenApplyAsync(Function.identity(), completions);
    }

    @Override
    public CompletableFuture<byte[]> get(String pk, String sk) {
        return hop(readers, () -> inner.get(pk, sk));
    }

    @Override
    public CompletableFuture<Long> put(String pk, String sk, byte[] payload) {
        return hop(writer, () -> inner.put(pk, sk, payload));
    }

    @Override
    public CompletableFuture<Long> query(String pk, String prefix) {
        return hop(readers, () -> inner.query(pk, prefix));
    }

    @Override
    public CompletableFuture<Void> load(List<Entry> items) {
        return hop(writer, () -> inner.load(items));
    }

    @Override
    public void close() {
        readers.shutdown();
        writer.shutdown();
        completions.shutdown();
        inner.close();
    }
}
