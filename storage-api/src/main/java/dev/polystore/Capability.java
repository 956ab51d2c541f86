package dev.polystore;

/**
 * Optional features a backend may offer. Everything else (get, conditional put and delete,
 * versions, queries with cursors) every backend must do. Using an undeclared capability fails
 * with {@link UnsupportedCapabilityException}; nothing is silently skipped.
 */
public enum Capability {
    /** Atomic multi-item writes across stores ({@link Storage#transaction()}). */
    TRANSACTIONS,
    /** Batch get and batch write of many items in one call. */
    BATCH,
    /** Item expiry: expired items are never returned. */
    EXPIRY,
    /**
     * A native full-text index answers {@link DocumentStore#search} instead of the portable one:
     * the same set of documents for every query (the testkit checks it against the portable
     * index on the same data), scored and ordered by the engine's own relevance.
     */
    NATIVE_SEARCH,
    /**
     * The backend wakes event subscribers after committed writes
     * ({@link dev.polystore.spi.StorageBackend#changeNotifier()}); a hint only, polling stays the
     * safety net. Without it, subscriptions learn of new events by polling alone.
     */
    CHANGE_NOTIFICATIONS,
    /**
     * Listing the stores and reading a whole store in independent, resumable segments, for
     * migration, export, verification and re-encryption ({@link dev.polystore.migration.Migration});
     * never on a request path and never on {@link Store}.
     */
    SCAN,
    /**
     * Writing items exactly as read elsewhere (same version, same expiry), idempotently
     * ({@link dev.polystore.migration.Migration#write}); never on {@link Store}.
     */
    IMPORT,
    /**
     * The backend keeps the entries of secondary indexes ({@link Index}) natively
     * ({@link dev.polystore.spi.StorageBackend#indexAccelerator()}): rows of an engine index
     * naming the item, written in the item's own engine transaction, instead of items that copy
     * it. Same answers as the portable entries (the testkit compares them); without it, every
     * index is kept as items of the store.
     */
    NATIVE_INDEXES
}
