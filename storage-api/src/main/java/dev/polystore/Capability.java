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
    /** A native full-text index replaces the portable one for {@link DocumentStore#search}. */
    NATIVE_SEARCH,
    /**
     * The backend wakes event subscribers after committed writes
     * ({@link dev.polystore.spi.StorageBackend#changeNotifier()}); a hint only, polling stays the
     * safety net. Without it, subscriptions learn of new events by polling alone.
     */
    CHANGE_NOTIFICATIONS
}
