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
 * <p><b>Safe</b>: never deletes anything on the target; with {@link CopyOptions#dryRun()} writes
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
        /** A page was acknowledged by the target (or read, in a dry run). */
        default void page(String store, int segment, StoreTally page) {
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
        return new JobSummary(tallies, options.dryRun());
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
            checkpoint = file == null ? null : Checkpoint.create(file, job, plan.positions());
            if (checkpoint == null) {
                return runSegments(store, plan.positions(), null, options, writer, listener);
            }
        }
        List<String> starts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            starts.add(checkpoint.position(i));
        }
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
        return tally;
    }
}
