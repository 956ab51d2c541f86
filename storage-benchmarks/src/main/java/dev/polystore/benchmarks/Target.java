package dev.polystore.benchmarks;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The one adapter every benchmark drives (the shape of Caffeine's {@code GetPutBenchmark}): an
 * implementation per contender — Polystore, or the raw driver doing the same work — chosen by a
 * JMH {@code @Param}.
 *
 * <p>Every method returns a future so that asynchronous engines can keep many operations in
 * flight; a synchronous implementation (raw JDBC) does the work on the calling thread and returns
 * a completed future. Every write is durable when its future completes.
 */
public interface Target extends AutoCloseable {

    /** The payload at {@code (pk, sk)}, or null if there is none. */
    CompletableFuture<byte[]> get(String pk, String sk);

    /** Writes the item unconditionally; completes with its new version (1, then +1 per write). */
    CompletableFuture<Long> put(String pk, String sk, byte[] payload);

    /**
     * Reads every item of partition {@code pk} whose sort key starts with {@code prefix}, in
     * sort-key order; completes with the number of payload bytes read (so nothing is skipped).
     */
    CompletableFuture<Long> query(String pk, String prefix);

    /** Loads many items (the engine's bulk path); completes when all are durable. */
    CompletableFuture<Void> load(List<Entry> items);

    @Override
    void close();
}
