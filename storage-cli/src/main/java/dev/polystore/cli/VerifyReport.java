package dev.polystore.cli;

import dev.polystore.Key;
import java.util.List;

/**
 * What {@link Verifier} found, per store.
 *
 * @param stores one entry per store compared
 */
public record VerifyReport(List<StoreDiff> stores) {
    public VerifyReport {
        stores = List.copyOf(stores);
    }

    /** Whether both sides hold exactly the same items (keys, payloads, versions, expiry). */
    public boolean same() {
        return stores.stream().allMatch(StoreDiff::same);
    }

    /** The total number of differing keys over all stores. */
    public long differences() {
        return stores.stream().mapToLong(d -> d.missingOnTarget() + d.missingOnSource() + d.differing()).sum();
    }

    /**
     * One store's comparison. Counts are exact; the key lists hold at most the limit asked for.
     *
     * @param store the store
     * @param sourceItems live items on the source
     * @param targetItems live items on the target
     * @param sourceDigest order-independent digest of the source's items (hex)
     * @param targetDigest the same over the target's
     * @param bucketsDiffering how many of the key buckets differ (0 when the store is the same)
     * @param missingOnTarget keys on the source only
     * @param missingOnSource keys on the target only
     * @param differing keys on both with another payload, version or expiry
     * @param missingOnTargetKeys up to the limit of them
     * @param missingOnSourceKeys up to the limit of them
     * @param differingKeys up to the limit of them
     */
    public record StoreDiff(String store, long sourceItems, long targetItems, String sourceDigest, String targetDigest,
            int bucketsDiffering, long missingOnTarget, long missingOnSource, long differing,
            List<Key> missingOnTargetKeys, List<Key> missingOnSourceKeys, List<Key> differingKeys) {
        public StoreDiff {
            missingOnTargetKeys = List.copyOf(missingOnTargetKeys);
            missingOnSourceKeys = List.copyOf(missingOnSourceKeys);
            differingKeys = List.copyOf(differingKeys);
        }

        public boolean same() {
            return missingOnTarget == 0 && missingOnSource == 0 && differing == 0;
        }
    }
}
