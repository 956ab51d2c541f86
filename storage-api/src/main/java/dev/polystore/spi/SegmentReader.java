package dev.polystore.spi;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Reads a whole table in independent segments, each page by page from an opaque position: what
 * building a secondary index on a store that already has items needs ({@code Index.build()}).
 * Returned by {@link StorageBackend#segmentReader()}; optional (a backend without it cannot build
 * indexes over existing items, while indexes declared on new stores still work).
 *
 * <p><b>Provisional.</b> This is the small interface the index backfill expects from the table
 * scan of the migration work (a {@code SCAN} capability reading a store in N resumable segments).
 * When that lands, the backfill reads through it and this interface goes away; a backend author
 * implements the scan once.
 *
 * <p><b>What a backend guarantees.</b> The segments of a table, read to their ends, return every
 * item that existed, unexpired, from before the first read until after the last one, each in
 * exactly one segment and at most once in it (items written or deleted meanwhile may or may not
 * appear); expired items never; items of every partition, including the partitions the API layer
 * reserves for index entries and catalogs. Order within a segment is the backend's. A position
 * is valid for the same table, segment and segment count on any instance of the backend over the
 * same engine, and survives restarts. Payload arrays are fresh, as for every read.
 *
 * <p>Thread-safe; futures complete with {@link dev.polystore.StoreException}s like every SPI method.
 */
public interface SegmentReader {

    /**
     * How many segments this backend reads {@code table} in, at least 1; the same answer for the
     * same table for as long as a build may resume (it is recorded with the build's progress).
     */
    int segments(String table);

    /**
     * One page of segment {@code segment} (0 to {@code segments - 1}) of {@code table}.
     *
     * @param position where to continue, as returned by the previous page, or null to start
     * @param limit at most this many items, 1 to 1000
     */
    CompletableFuture<SegmentPage> read(String table, int segment, int segments, String position, int limit);

    /**
     * One page of a segment.
     *
     * @param items the unexpired items read, at most the limit (possibly none while more follow)
     * @param next the position to continue from, or null when the segment has been read to its end
     */
    record SegmentPage(List<RawItem> items, String next) {
        public SegmentPage {
            items = List.copyOf(Objects.requireNonNull(items, "items"));
        }
    }
}
