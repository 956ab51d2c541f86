package dev.polystore.encryption;

import dev.polystore.ConditionFailedException;
import dev.polystore.Storage;
import dev.polystore.migration.Migration;
import dev.polystore.migration.ScanResult;
import dev.polystore.migration.StoredItem;
import dev.polystore.spi.ScanPlan;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * Re-encrypts a store under the keyset's current primary key: reads every item through the layer
 * (scan, which decrypts and authenticates it) and writes it back through the layer (which encrypts
 * under the primary), each write conditioned on the version read, so a concurrent write is never
 * overwritten (its item is then already under the primary). Resumable: the position of every
 * segment is handed to a {@link Checkpoint} after each page is written, and a run given a
 * checkpoint continues from there, in this process or another.
 *
 * <p>A rewrite is a write: the item's version goes up by one (see docs/encryption.md, "Rotation").
 * Run it as maintenance, never on a request path. Not thread-safe; one run per store at a time.
 */
public final class Reencryption {
    private static final int PAGE = 200;

    private final Migration migration;

    private Reencryption(Migration migration) {
        this.migration = migration;
    }

    /** A job over {@code storage}, which must have the encryption layer and capability {@code SCAN}. */
    public static Reencryption of(Storage storage) {
        return new Reencryption(Migration.of(storage));
    }

    /** Where the job keeps its positions. Implementations persist them (a file, an item). */
    public interface Checkpoint {
        /** The start positions of the store's segments planned by an earlier run, or empty. */
        Optional<List<String>> plan(String store);

        /** Records the plan of a new run. */
        void savePlan(String store, List<String> positions);

        /** The position to resume segment {@code segment} after, empty to start it; {@code ""} when it is done. */
        Optional<String> position(String store, int segment);

        /** Records that segment {@code segment} has been written up to {@code position} ({@code ""}: done). */
        void save(String store, int segment, String position);
    }

    /**
     * Counts so far.
     *
     * @param store the store
     * @param read items read
     * @param rewritten items written back under the primary key
     * @param changed items changed by someone else between read and rewrite (left as they are: their
     *                writer encrypted them under the primary)
     * @param segmentsDone segments finished
     * @param segments segments planned
     */
    public record Progress(String store, long read, long rewritten, long changed, int segmentsDone, int segments) {
    }

    /**
     * Re-encrypts {@code store} in {@code segments} segments (resuming from {@code checkpoint}),
     * reporting progress after every page.
     *
     * @return the final counts; {@code read == rewritten + changed}
     * @throws dev.polystore.StoreException if reading or writing fails (the checkpoint keeps what was done)
     */
    public Progress run(String store, int segments, Checkpoint checkpoint, Consumer<Progress> progress) {
        Objects.requireNonNull(checkpoint, "checkpoint");
        Objects.requireNonNull(progress, "progress");
        List<String> plan = checkpoint.plan(store).orElse(null);
        if (plan == null) {
            ScanPlan p = join(migration.plan(store, segments));
            plan = p.positions();
            checkpoint.savePlan(store, plan);
        }
        long read = 0;
        long rewritten = 0;
        long changed = 0;
        int done = 0;
        for (int seg = 0; seg < plan.size(); seg++) {
            Optional<String> at = checkpoint.position(store, seg);
            if (at.isPresent() && at.get().isEmpty()) {
                done++;
                continue;
            }
            String position = at.orElse(plan.get(seg));
            while (position != null) {
                ScanResult page = join(migration.read(store, position, PAGE));
                for (StoredItem item : page.items()) {
                    read++;
                    try {
                        join(migration.rewrite(store, item));
                        rewritten++;
                    } catch (ConditionFailedException e) {
                        changed++;
                    }
                }
                position = page.next();
                checkpoint.save(store, seg, position == null ? "" : position);
                progress.accept(new Progress(store, read, rewritten, changed, done, plan.size()));
            }
            done++;
        }
        Progress last = new Progress(store, read, rewritten, changed, done, plan.size());
        progress.accept(last);
        return last;
    }

    private static <T> T join(java.util.concurrent.CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }
}
