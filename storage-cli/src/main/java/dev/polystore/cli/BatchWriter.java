package dev.polystore.cli;

import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.spi.ImportMode;
import dev.polystore.spi.ImportOutcome;
import dev.polystore.migration.Migration;
import dev.polystore.migration.StoredItem;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;

/**
 * Writes one page of items to the target and tallies the outcomes; retries items that failed
 * as retryable (an import is idempotent, so an outcome-unknown item may be sent again), then
 * rejects what still failed. Throws (leaving the caller's checkpoint where it was) only when the
 * target could say nothing about the page at all.
 */
final class BatchWriter {
    private final Migration target;
    private final ImportMode mode;
    private final int retries;
    private final RejectLog rejects;
    private final RateLimit rate;

    BatchWriter(Migration target, ImportMode mode, int retries, RejectLog rejects, RateLimit rate) {
        this.target = target;
        this.mode = mode;
        this.retries = retries;
        this.rejects = rejects;
        this.rate = rate;
    }

    /** Counts for the page: read is its size; written, kept, expired and rejected add up to it. */
    StoreTally write(String store, List<StoredItem> items) {
        long bytes = 0;
        for (StoredItem i : items) {
            bytes += i.payload().length;
        }
        long written = 0;
        long kept = 0;
        long expired = 0;
        long rejected = 0;
        List<StoredItem> pending = items;
        for (int attempt = 0; !pending.isEmpty(); attempt++) {
            rate.acquire(pending.size());
            List<ImportOutcome> outcomes = join(target.write(store, pending, mode));
            List<StoredItem> retry = new ArrayList<>();
            for (int i = 0; i < outcomes.size(); i++) {
                ImportOutcome o = outcomes.get(i);
                switch (o.status()) {
                    case WRITTEN -> written++;
                    case KEPT -> kept++;
                    case EXPIRED -> expired++;
                    case FAILED -> {
                        boolean retryable = o.failure() instanceof UnavailableException
                                || o.failure() instanceof OutcomeUnknownException;
                        if (retryable && attempt < retries) {
                            retry.add(pending.get(i));
                        } else {
                            rejected++;
                            rejects.reject(store, pending.get(i), o.failure());
                        }
                    }
                    default -> throw new IllegalStateException("unknown outcome " + o.status());
                }
            }
            pending = retry;
            if (!pending.isEmpty()) {
                sleep(100L << Math.min(attempt, 5));
            }
        }
        return new StoreTally(store, items.size(), written, kept, expired, rejected, 0, bytes);
    }

    static <T> T join(java.util.concurrent.CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof StoreException se) {
                throw se;
            }
            throw e;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JobException("interrupted", e);
        }
    }
}
