package dev.polystore.internal.domain;

import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Item;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Store;
import dev.polystore.internal.Futures;
import java.util.concurrent.CompletableFuture;

/**
 * Hands out document ids from blocks reserved on a shared counter item with a conditional
 * write: one counter write per {@value #BLOCK_SIZE} ids, not per document. Each reservation
 * moves the counter from {@code next} to {@code next + BLOCK_SIZE} under {@code ifVersion}
 * (or creates it under {@code ifAbsent}), so two writers, in this process or another, never
 * get the same block; a writer that loses the race, or whose counter write has an unknown
 * outcome, reads the counter again (so a reservation is never reported as an ambiguous add:
 * it either succeeds or, after its attempts, fails as not written). Ids left in a
 * block when a Storage closes are never used (ids are unique, not dense).
 */
final class IdAllocator {
    static final int BLOCK_SIZE = 64;
    static final String COUNTER_PK = "docseq";
    static final String COUNTER_SK = "docseq";

    /** The counter's value: the first id no block has reserved yet. */
    record IdBlock(long next) {
    }

    private final Store<IdBlock> counter;
    private long next;
    private long end;
    private CompletableFuture<Void> refill;

    IdAllocator(Store<IdBlock> counter) {
        this.counter = counter;
    }

    CompletableFuture<Long> next() {
        CompletableFuture<Void> waitFor;
        synchronized (this) {
            if (next < end) {
                return CompletableFuture.completedFuture(next++);
            }
            if (refill == null) {
                CompletableFuture<Void> r = Retries.withRetries("reserving document ids", this::reserve)
                        .thenAccept(this::install);
                refill = r;
                r.whenComplete((v, e) -> clearRefill(r));
                waitFor = r;
            } else {
                waitFor = refill;
            }
        }
        return waitFor.thenCompose(v -> next());
    }

    private synchronized void install(long first) {
        next = first;
        end = first + BLOCK_SIZE;
    }

    private synchronized void clearRefill(CompletableFuture<Void> r) {
        if (refill == r) {
            refill = null;
        }
    }

    /** Reserves one block; @return its first id. */
    private CompletableFuture<Long> reserve() {
        return counter.get(COUNTER_PK, COUNTER_SK).thenCompose(current -> {
            long first = current.map(i -> i.value().next()).orElse(1L);
            Item<IdBlock> item = Item.of(COUNTER_PK, COUNTER_SK, new IdBlock(first + BLOCK_SIZE));
            Condition condition = current.map(i -> Condition.ifVersion(i.version())).orElse(Condition.ifAbsent());
            return counter.put(item, condition).handle((v, e) -> {
                if (e == null) {
                    return CompletableFuture.completedFuture(first);
                }
                Throwable cause = Futures.unwrap(e);
                if (cause instanceof ConditionFailedException) {
                    return Retries.<Long>retry("counter moved");
                }
                if (cause instanceof OutcomeUnknownException) {
                    // The counter may or may not have moved: read it again and reserve from what it
                    // says. If the lost write did apply, its block is skipped (ids stay unique); a
                    // late copy of it cannot apply after ours, both being conditional on one version.
                    return Retries.<Long>retry("the counter write's outcome is unknown");
                }
                return CompletableFuture.<Long>failedFuture(cause);
            }).thenCompose(f -> f);
        });
    }
}
