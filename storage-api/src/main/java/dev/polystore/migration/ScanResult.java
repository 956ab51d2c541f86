package dev.polystore.migration;

import java.util.List;

/**
 * One page of a segment.
 *
 * @param items live items, at most the limit asked for and at most {@link Migration#MAX_PAGE_BYTES}
 *              of payload (a single larger item comes alone)
 * @param next the position to resume after this page, or null when the segment is finished. A page
 *             may be empty while {@code next} is set (every item it passed had expired, say)
 * @param expiredSkipped items the page passed over because they had expired; never returned
 */
public record ScanResult(List<StoredItem> items, String next, int expiredSkipped) {
    public ScanResult {
        items = List.copyOf(items);
        if (expiredSkipped < 0) {
            throw new IllegalArgumentException("expiredSkipped must not be negative");
        }
    }

    /** Whether the segment has no more pages. */
    public boolean finished() {
        return next == null;
    }
}
