package dev.polystore;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * What a backend offers, with the limits that matter to callers. Immutable and thread-safe.
 *
 * <p>A limit belongs to its capability: without {@link Capability#TRANSACTIONS} both transaction
 * limits are 0, without {@link Capability#BATCH} both batch limits are 0, whatever was passed
 * (so existing callers that pass placeholder limits keep working, and nobody reads a limit of a
 * capability that is not there). A declared capability needs positive limits.
 *
 * <p>Backend authors usually build one with {@link #none()} (no optional capability) or
 * {@link #builder()}:
 *
 * <pre>{@code
 * Capabilities caps = Capabilities.builder()
 *         .transactions(100, 4L * 1024 * 1024)
 *         .batch(100, 25)
 *         .expiry()
 *         .build();
 * }</pre>
 *
 * @param supported the optional capabilities offered
 * @param maxTransactionItems most operations in one transaction (0 without {@link Capability#TRANSACTIONS})
 * @param maxTransactionBytes most encoded bytes in one transaction (0 without {@link Capability#TRANSACTIONS})
 * @param maxBatchGetItems most keys the backend reads in one batch call, larger batches are split
 *     (0 without {@link Capability#BATCH})
 * @param maxBatchWriteItems most items the backend writes in one batch call, larger batches are
 *     split (0 without {@link Capability#BATCH})
 * @param transactionsAcrossPartitions whether one transaction may hold operations on different
 *     partition keys (true for every backend but one whose engine partitions data by key, such
 *     as Redis Cluster, where a transaction must stay within one partition key and one across
 *     partition keys fails with {@link ValidationException} before anything is written). The
 *     domain stores need it.
 */
public record Capabilities(Set<Capability> supported, int maxTransactionItems, long maxTransactionBytes,
                           int maxBatchGetItems, int maxBatchWriteItems, boolean transactionsAcrossPartitions) {
    private static final Capabilities NONE = new Capabilities(Set.of(), 0, 0, 0, 0, true);

    /**
     * @throws IllegalArgumentException if a declared capability has a limit below 1, or a limit is negative
     */
    public Capabilities {
        Objects.requireNonNull(supported, "supported");
        supported = supported.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(supported));
        if (maxTransactionItems < 0 || maxTransactionBytes < 0 || maxBatchGetItems < 0 || maxBatchWriteItems < 0) {
            throw new IllegalArgumentException("capability limits must not be negative");
        }
        if (supported.contains(Capability.TRANSACTIONS)) {
            if (maxTransactionItems < 1 || maxTransactionBytes < 1) {
                throw new IllegalArgumentException("a backend with TRANSACTIONS must declare positive transaction limits");
            }
        } else {
            maxTransactionItems = 0;
            maxTransactionBytes = 0;
        }
        if (supported.contains(Capability.BATCH)) {
            if (maxBatchGetItems < 1 || maxBatchWriteItems < 1) {
                throw new IllegalArgumentException("a backend with BATCH must declare batch limits >= 1");
            }
        } else {
            maxBatchGetItems = 0;
            maxBatchWriteItems = 0;
        }
    }

    /** No optional capability: every limit is 0. */
    public static Capabilities none() {
        return NONE;
    }

    /** A builder starting from no optional capability. */
    public static Builder builder() {
        return new Builder();
    }

    /** Capabilities whose transactions (if any) may span partition keys. */
    public Capabilities(Set<Capability> supported, int maxTransactionItems, long maxTransactionBytes,
                        int maxBatchGetItems, int maxBatchWriteItems) {
        this(supported, maxTransactionItems, maxTransactionBytes, maxBatchGetItems, maxBatchWriteItems, true);
    }

    public boolean has(Capability capability) {
        return supported.contains(capability);
    }

    /**
     * Builds {@link Capabilities}; each capability may be declared once. Not thread-safe; the
     * result is immutable.
     */
    public static final class Builder {
        private final EnumSet<Capability> supported = EnumSet.noneOf(Capability.class);
        private int maxTransactionItems;
        private long maxTransactionBytes;
        private int maxBatchGetItems;
        private int maxBatchWriteItems;
        private boolean transactionsAcrossPartitions = true;

        private Builder() {
        }

        /**
         * Declares {@link Capability#TRANSACTIONS}.
         *
         * @param maxItems most operations in one transaction, at least 1
         * @param maxBytes most encoded bytes in one transaction, at least 1
         */
        public Builder transactions(int maxItems, long maxBytes) {
            declare(Capability.TRANSACTIONS);
            if (maxItems < 1) {
                throw new IllegalArgumentException("maxTransactionItems must be >= 1, got " + maxItems);
            }
            if (maxBytes < 1) {
                throw new IllegalArgumentException("maxTransactionBytes must be >= 1, got " + maxBytes);
            }
            this.maxTransactionItems = maxItems;
            this.maxTransactionBytes = maxBytes;
            return this;
        }

        /**
         * Declares {@link Capability#BATCH}.
         *
         * @param maxGetItems most keys read in one batch call, at least 1
         * @param maxWriteItems most items written in one batch call, at least 1
         */
        public Builder batch(int maxGetItems, int maxWriteItems) {
            declare(Capability.BATCH);
            if (maxGetItems < 1) {
                throw new IllegalArgumentException("maxBatchGetItems must be >= 1, got " + maxGetItems);
            }
            if (maxWriteItems < 1) {
                throw new IllegalArgumentException("maxBatchWriteItems must be >= 1, got " + maxWriteItems);
            }
            this.maxBatchGetItems = maxGetItems;
            this.maxBatchWriteItems = maxWriteItems;
            return this;
        }

        /**
         * Limits each transaction to one partition key (see
         * {@link Capabilities#transactionsAcrossPartitions()}); by default transactions may span
         * partition keys.
         */
        public Builder transactionsWithinOnePartition() {
            this.transactionsAcrossPartitions = false;
            return this;
        }

        /** Declares {@link Capability#EXPIRY}. */
        public Builder expiry() {
            declare(Capability.EXPIRY);
            return this;
        }

        /** Declares {@link Capability#NATIVE_SEARCH} (the backend's {@code searchIndex()} must then be present). */
        public Builder nativeSearch() {
            declare(Capability.NATIVE_SEARCH);
            return this;
        }

        /**
         * Declares {@link Capability#CHANGE_NOTIFICATIONS} (the backend's {@code changeNotifier()}
         * must then be present).
         */
        public Builder changeNotifications() {
            declare(Capability.CHANGE_NOTIFICATIONS);
            return this;
        }

        /** Declares {@link Capability#NATIVE_INDEXES} (the backend's {@code indexAccelerator()} must then be present). */
        public Builder nativeIndexes() {
            declare(Capability.NATIVE_INDEXES);
            return this;
        }

        /** Declares {@link Capability#SCAN} (the backend implements the SPI's scan methods). */
        public Builder scan() {
            declare(Capability.SCAN);
            return this;
        }

        /** Declares {@link Capability#IMPORT} (the backend implements {@code importItems}). */
        public Builder importItems() {
            declare(Capability.IMPORT);
            return this;
        }

        private void declare(Capability capability) {
            if (!supported.add(capability)) {
                throw new IllegalStateException(capability + " was already declared");
            }
        }

        public Capabilities build() {
            return new Capabilities(supported, maxTransactionItems, maxTransactionBytes, maxBatchGetItems,
                    maxBatchWriteItems, transactionsAcrossPartitions);
        }
    }
}
