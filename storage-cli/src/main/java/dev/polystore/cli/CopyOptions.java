package dev.polystore.cli;

import dev.polystore.spi.ImportMode;
import dev.polystore.migration.Migration;
import java.nio.file.Path;
import java.util.List;

/**
 * How {@link Copier} copies. Immutable; build with {@link #defaults()} and the {@code with…}
 * methods.
 *
 * @param stores the stores to copy; empty (the default) means every store of the source
 * @param segments segments per store, read in parallel (default 4, 1 to 256)
 * @param pageSize items per page read and per import call (default 500, 1 to {@value Migration#MAX_PAGE_ITEMS})
 * @param ratePerSecond the most items written per second over all segments; 0 (default) for no limit
 * @param dryRun read everything, write nothing (no checkpoints either)
 * @param mode how items meet existing ones on the target (default {@link ImportMode#IF_NEWER})
 * @param checkpointDir where per-store checkpoints live; null (default) for none (not resumable)
 * @param restart discard existing checkpoints and copy from the start
 * @param rejectFile where items that were not written are listed (JSON Lines), or null for nowhere
 * @param retries attempts after the first for items that failed as retryable
 *                ({@code UnavailableException}, {@code OutcomeUnknownException}); default 3
 * @param deleteExtra after every store was copied without an error or a rejected item, delete on
 *                    the target the items of the copied stores that the source lacks (default
 *                    false: a copy never deletes); with {@code dryRun}, count them only
 */
public record CopyOptions(List<String> stores, int segments, int pageSize, double ratePerSecond, boolean dryRun,
        ImportMode mode, Path checkpointDir, boolean restart, Path rejectFile, int retries,
        boolean deleteExtra) {
    public static final int MAX_SEGMENTS = 256;

    public CopyOptions {
        stores = List.copyOf(stores);
        if (segments < 1 || segments > MAX_SEGMENTS) {
            throw new JobException("--segments must be from 1 to " + MAX_SEGMENTS + ", got " + segments);
        }
        if (pageSize < 1 || pageSize > Migration.MAX_PAGE_ITEMS) {
            throw new JobException("--page-size must be from 1 to " + Migration.MAX_PAGE_ITEMS + ", got " + pageSize);
        }
        if (ratePerSecond < 0 || Double.isNaN(ratePerSecond)) {
            throw new JobException("--rate must be 0 (no limit) or a positive number of items per second, got "
                    + ratePerSecond);
        }
        if (mode == null) {
            throw new JobException("an import mode is required (if-newer or overwrite)");
        }
        if (retries < 0) {
            throw new JobException("retries must not be negative, got " + retries);
        }
    }

    public static CopyOptions defaults() {
        return new CopyOptions(List.of(), 4, 500, 0, false, ImportMode.IF_NEWER, null, false, null, 3, false);
    }

    public CopyOptions withStores(List<String> s) {
        return new CopyOptions(s, segments, pageSize, ratePerSecond, dryRun, mode, checkpointDir, restart, rejectFile, retries, deleteExtra);
    }

    public CopyOptions withSegments(int n) {
        return new CopyOptions(stores, n, pageSize, ratePerSecond, dryRun, mode, checkpointDir, restart, rejectFile, retries, deleteExtra);
    }

    public CopyOptions withPageSize(int n) {
        return new CopyOptions(stores, segments, n, ratePerSecond, dryRun, mode, checkpointDir, restart, rejectFile, retries, deleteExtra);
    }

    public CopyOptions withRate(double r) {
        return new CopyOptions(stores, segments, pageSize, r, dryRun, mode, checkpointDir, restart, rejectFile, retries, deleteExtra);
    }

    public CopyOptions withDryRun(boolean d) {
        return new CopyOptions(stores, segments, pageSize, ratePerSecond, d, mode, checkpointDir, restart, rejectFile, retries, deleteExtra);
    }

    public CopyOptions withMode(ImportMode m) {
        return new CopyOptions(stores, segments, pageSize, ratePerSecond, dryRun, m, checkpointDir, restart, rejectFile, retries, deleteExtra);
    }

    public CopyOptions withCheckpointDir(Path d) {
        return new CopyOptions(stores, segments, pageSize, ratePerSecond, dryRun, mode, d, restart, rejectFile, retries, deleteExtra);
    }

    public CopyOptions withRestart(boolean r) {
        return new CopyOptions(stores, segments, pageSize, ratePerSecond, dryRun, mode, checkpointDir, r, rejectFile, retries, deleteExtra);
    }

    public CopyOptions withRejectFile(Path f) {
        return new CopyOptions(stores, segments, pageSize, ratePerSecond, dryRun, mode, checkpointDir, restart, f, retries, deleteExtra);
    }

    public CopyOptions withRetries(int n) {
        return new CopyOptions(stores, segments, pageSize, ratePerSecond, dryRun, mode, checkpointDir, restart, rejectFile, n, deleteExtra);
    }

    public CopyOptions withDeleteExtra(boolean d) {
        return new CopyOptions(stores, segments, pageSize, ratePerSecond, dryRun, mode, checkpointDir, restart, rejectFile, retries, d);
    }
}
