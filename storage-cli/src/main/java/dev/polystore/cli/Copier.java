package dev.polystore.cli;

import dev.polystore.Capability;
import dev.polystore.StoreException;
import dev.polystore.migration.Migration;
import dev.polystore.spi.ScanPlan;
import dev.polystore.migration.ScanResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies stores from one storage to another: each store read in parallel segments and imported
 * page by page exactly as read (same version, same expiry), so that clients' {@code ifVersion}
 * keeps working on the target. What {@code polystore copy} runs.
 *
 * <p><b>Resumable</b>: with a checkpoint directory, each segment's position is saved only after
 * the target acknowledged the page before it; the same copy run again (after a crash, a kill -9,
 * a network failure) continues from there and its summary counts the earlier runs too.
 * {@link CopyOptions#restart()} discards the checkpoints. A checkpoint of a finished store makes
 * a rerun skip it.
 *
 * <p><b>Safe</b>: never deletes anything on the target unless asked
 * ({@link CopyOptions#deleteExtra()}: then only after every store was copied without an error
 * and without a rejected item, and each deletion is conditional on the version the target's scan
 * read, so a write that lands meanwhile is kept); with {@link CopyOptions#dryRun()} writes
 * nothing; refuses to copy a storage onto itself. Items that fail are retried when retryable and
 * otherwise listed in the reject file and counted; the summary's counts add up
 * ({@link JobSummary#addsUp()}).
 *
 * <p>{@link #copy} blocks; it throws {@link JobException} for bad input (before writing), and the
 * engine's {@link StoreException} when a page could not be read or written at all (the
 * checkpoints stay at the last acknowledged page: run it again). Not thread-safe: one copy at a
 * time per instance.
 */
public final class Copier {
    private static final Logger LOG = LoggerFactory.getLogger(Copier.class);

    /** Told about progress, from the copying threads (implementations must be thread-safe). */
    public interface Listener {
        /**
         * A store's segments start (or resume).
         *
         * @param estimatedItems the source's cheap estimate of the store's items, or -1
         * @param done the counts earlier runs checkpointed (zero for a fresh copy)
         */
        default void storeStarted(String store, int segments, long estimatedItems, StoreTally done) {
        }

        /** A page was acknowledged by the target (or read, in a dry run). */
        default void page(String store, int segment, StoreTally page) {
        }

        /** A segment of a store has been read to its end (and, unless a dry run, written). */
        default void segmentDone(String store, int segment) {
        }

        /** Every segment of a store has finished. */
        default void storeDone(StoreTally total) {
        }
    }

    private final Migration source;
    private final Migration target;
    private final String job;

    /**
     * @param job names this pair of storages in checkpoints (e.g. the two config files), so that
     *            a checkpoint is never resumed by another copy
     */
    public Copier(Migration source, Migration target, String job) {
        this.source = Objects.requireNonNull(source, "source");
        this.target = Objects.requireNonNull(target, "target");
        this.job = Objects.requireNonNull(job, "job");
        if (source == target) {
            throw new JobException("refusing to copy a storage onto itself");
        }
    }

    public JobSummary copy(CopyOptions options) {
        return copy(options, new Listener() { });
    }

    public JobSummary copy(CopyOptions options, Listener listener) {
        if (!source.capabilities().has(Capability.SCAN)) {
            throw new JobException("the source backend '" + source.backend() + "' cannot be scanned (no SCAN capability)");
        }
        if (!options.dryRun() && !target.capabilities().has(Capability.IMPORT)) {
            throw new JobException("the target backend '" + target.backend() + "' cannot import (no IMPORT capability)");
        }
        if (options.deleteExtra() && !target.capabilities().has(Capability.SCAN)) {
            throw new JobException("--delete-extra needs to scan the target, and backend '" + target.backend()
                    + "' cannot be scanned (no SCAN capability)");
        }
        List<String> stores = resolveStores(source, options.stores());
        List<StoreTally> tallies = new ArrayList<>();
        try (RejectLog rejects = RejectLog.open(options.dryRun() ? null : options.rejectFile())) {
            BatchWriter writer = new BatchWriter(target, options.mode(), options.retries(), rejects,
                    new RateLimit(options.ratePerSecond()));
            for (String store : stores) {
                StoreTally t = copyStore(store, options, writer, listener);
                tallies.add(t);
                listener.storeDone(t);
                LOG.info("copied store {}: read {}, written {}, kept {}, expired {}, rejected {}", store, t.read(),
                        t.written(), t.kept(), t.expired(), t.rejected());
            }
        }
        String skipped = null;
        if (options.deleteExtra()) {
            long rejected = tallies.stream().mapToLong(StoreTally::rejected).sum();
            if (rejected > 0) {
                skipped = rejected + " items were rejected: nothing was deleted (fix the cause and copy again)";
                LOG.warn("--delete-extra: {}", skipped);
            } else {
                List<String> onTarget = BatchWriter.join(target.stores());
                for (int i = 0; i < tallies.size(); i++) {
                    StoreTally t = tallies.get(i);
                    long n = onTarget.contains(t.store()) ? deleteExtra(t.store(), options) : 0;
                    tallies.set(i, t.withDeleted(n));
                }
            }
        }
        return new JobSummary(tallies, options.dryRun(), skipped);
    }

    /**
     * Deletes (or, in a dry run, counts) the items of {@code store} the target holds and the
     * source lacks: the target is scanned, each page's keys looked up on the source, and each
     * absent one deleted if its version is still the one read (a write meanwhile keeps it).
     */
    private long deleteExtra(String store, CopyOptions options) {
        ScanPlan plan = BatchWriter.join(target.plan(store, options.segments()));
        long deleted = 0;
        long changed = 0;
        for (String start : plan.positions()) {
            for (String p = start; p != null; ) {
                ScanResult page = BatchWriter.join(target.read(store, p, options.pageSize()));
                if (!page.items().isEmpty()) {
                    List<dev.polystore.Key> keys = new ArrayList<>(page.items().size());
                    page.items().forEach(i -> keys.add(i.key()));
                    java.util.Set<dev.polystore.Key> present = new java.util.HashSet<>();
                    BatchWriter.join(source.getAll(store, keys)).forEach(i -> present.add(i.key()));
                    for (var item : page.items()) {
                        if (present.contains(item.key())) {
                            continue;
                        }
                        if (options.dryRun()) {
                            deleted++;
                            continue;
                        }
                        try {
                            if (BatchWriter.join(target.deleteIfVersion(store, item.key(), item.version()))) {
                                deleted++;
                            }
                        } catch (dev.polystore.ConditionFailedException e) {
                            changed++; // written since the scan read it: kept
                        }
                    }
                }
                p = page.next();
            }
        }
        LOG.info("--delete-extra on store {}: {} {}, {} changed meanwhile and kept", store,
                options.dryRun() ? "would delete" : "deleted", deleted, changed);
        return deleted;
    }

    /** The stores to work on: all of the source's, or the named ones, each of which must exist there. */
    static List<String> resolveStores(Migration source, List<String> named) {
        List<String> existing = BatchWriter.join(source.stores());
        if (named.isEmpty()) {
            return existing;
        }
        for (String s : named) {
            if (!existing.contains(s)) {
                throw new JobException("store '" + s + "' does not exist on the source (" + source.backend()
                        + "); it has " + existing);
            }
        }
        return List.copyOf(named);
    }

    private StoreTally copyStore(String store, CopyOptions options, BatchWriter writer, Listener listener) {
        int n = options.segments();
        Checkpoint checkpoint = null;
        Path file = options.checkpointDir() == null || options.dryRun() ? null
                : options.checkpointDir().resolve(store + ".checkpoint");
        if (file != null) {
            if (options.restart()) {
                Checkpoint.delete(file);
            }
            checkpoint = Checkpoint.load(file, job, n);
        }
        if (checkpoint == null) {
            ScanPlan plan = BatchWriter.join(source.plan(store, n));
            checkpoint = file == null ? null : Checkpoint.create(file, job, plan.positions(), plan.estimatedItems());
            if (checkpoint == null) {
                listener.storeStarted(store, n, plan.estimatedItems(), StoreTally.empty(store));
                return runSegments(store, plan.positions(), null, options, writer, listener);
            }
        }
        List<String> starts = new ArrayList<>();
        StoreTally done = StoreTally.empty(store);
        for (int i = 0; i < n; i++) {
            starts.add(checkpoint.position(i));
            done = done.plus(checkpoint.tally(i, store));
        }
        listener.storeStarted(store, n, checkpoint.estimatedItems(), done);
        return runSegments(store, starts, checkpoint, options, writer, listener);
    }

    private StoreTally runSegments(String store, List<String> starts, Checkpoint checkpoint, CopyOptions options,
            BatchWriter writer, Listener listener) {
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(starts.size(), 8), r -> {
            Thread t = new Thread(r, "polystore-copy-" + store);
            t.setDaemon(true);
            return t;
        });
        AtomicBoolean failed = new AtomicBoolean();
        List<Future<StoreTally>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < starts.size(); i++) {
                int segment = i;
                futures.add(pool.submit(() -> {
                    try {
                        return runSegment(store, segment, starts.get(segment), checkpoint, options, writer, listener,
                                failed);
                    } catch (RuntimeException e) {
                        failed.set(true);
                        throw e;
                    }
                }));
            }
            StoreTally total = StoreTally.empty(store);
            RuntimeException first = null;
            for (Future<StoreTally> f : futures) {
                try {
                    total = total.plus(f.get());
                } catch (ExecutionException e) {
                    if (first == null) {
                        first = e.getCause() instanceof RuntimeException re ? re
                                : new StoreException("copying store " + store + " failed", e.getCause());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new JobException("interrupted", e);
                }
            }
            if (first != null) {
                throw first;
            }
            return total;
        } finally {
            pool.shutdownNow();
        }
    }

    private StoreTally runSegment(String store, int segment, String start, Checkpoint checkpoint, CopyOptions options,
            BatchWriter writer, Listener listener, AtomicBoolean failed) {
        StoreTally tally = checkpoint == null ? StoreTally.empty(store) : checkpoint.tally(segment, store);
        String position = start;
        while (position != null && !failed.get()) {
            ScanResult page = BatchWriter.join(source.read(store, position, options.pageSize()));
            StoreTally done;
            if (options.dryRun()) {
                long bytes = 0;
                for (var i : page.items()) {
                    bytes += i.payload().length;
                }
                done = new StoreTally(store, page.items().size(), 0, 0, 0, 0, page.expiredSkipped(), bytes);
            } else {
                StoreTally w = page.items().isEmpty() ? StoreTally.empty(store) : writer.write(store, page.items());
                done = new StoreTally(store, w.read(), w.written(), w.kept(), w.expired(), w.rejected(),
                        page.expiredSkipped(), w.bytes());
            }
            tally = tally.plus(done);
            position = page.next();
            if (checkpoint != null) {
                checkpoint.advance(segment, position, tally);
            }
            listener.page(store, segment, done);
        }
        if (position == null) {
            listener.segmentDone(store, segment);
        }
        return tally;
    }
}
