package dev.polystore;

import java.util.EnumSet;
import java.util.Set;

/**
 * What a backend offers, with the limits that matter to callers.
 *
 * @param supported the optional capabilities offered
 * @param maxTransactionItems most operations in one transaction (0 if no transactions)
 * @param maxTransactionBytes most encoded bytes in one transaction (0 if no transactions)
 * @param maxBatchGetItems most keys the backend reads in one batch call; larger batches are split
 * @param maxBatchWriteItems most items the backend writes in one batch call; larger batches are split
 * @param transactionsAcrossPartitions whether one transaction may hold operations on different
 *        partition keys (true for every backend but one whose engine partitions data by key, such
 *        as Redis Cluster, where a transaction must stay within one partition key and one across
 *        partition keys fails with {@link ValidationException} before anything is written). The
 *        domain stores need it.
 */
public record Capabilities(Set<Capability> supported, int maxTransactionItems, long maxTransactionBytes,
                           int maxBatchGetItems, int maxBatchWriteItems, boolean transactionsAcrossPartitions) {
    public Capabilities {
        supported = supported.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(supported));
        if (maxBatchGetItems < 1 || maxBatchWriteItems < 1) {
            throw new IllegalArgumentException("batch limits must be >= 1");
        }
        if (supported.contains(Capability.TRANSACTIONS) && (maxTransactionItems < 1 || maxTransactionBytes < 1)) {
            throw new IllegalArgumentException("a backend with TRANSACTIONS must declare positive transaction limits");
        }
    }

    /** Capabilities whose transactions (if any) may span partition keys. */
    public Capabilities(Set<Capability> supported, int maxTransactionItems, long maxTransactionBytes,
                        int maxBatchGetItems, int maxBatchWriteItems) {
        this(supported, maxTransactionItems, maxTransactionBytes, maxBatchGetItems, maxBatchWriteItems, true);
    }

    public boolean has(Capability capability) {
        return supported.contains(capability);
    }
}
