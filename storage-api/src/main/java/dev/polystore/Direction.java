package dev.polystore;

/** Sort-key order of a query's results. */
public enum Direction {
    /** Smallest sort key first (UTF-8 byte order). */
    ASCENDING,
    /** Largest sort key first. */
    DESCENDING
}
