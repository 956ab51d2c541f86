package dev.polystore.cli;

import java.util.List;

/**
 * The result of a copy or an import: one tally per store, in the order handled.
 *
 * @param stores per-store counts
 * @param dryRun whether nothing was written (then only {@code read} and {@code expiredAtSource} count)
 * @param deletionSkipped why {@link CopyOptions#deleteExtra()} deleted nothing although asked
 *                        (items were rejected), or null
 */
public record JobSummary(List<StoreTally> stores, boolean dryRun, String deletionSkipped) {
    public JobSummary {
        stores = List.copyOf(stores);
    }

    /** A summary of a job that was not asked to delete. */
    public JobSummary(List<StoreTally> stores, boolean dryRun) {
        this(stores, dryRun, null);
    }

    /** Every store's counts added up. */
    public StoreTally total() {
        StoreTally t = StoreTally.empty("*");
        for (StoreTally s : stores) {
            t = t.plus(s);
        }
        return t;
    }

    /** Whether the counts of every store add up (always true for a dry run). */
    public boolean addsUp() {
        return dryRun || stores.stream().allMatch(StoreTally::addsUp);
    }

    /** Whether every item read is on the target (nothing rejected) and the counts add up. */
    public boolean clean() {
        return addsUp() && total().rejected() == 0;
    }
}
