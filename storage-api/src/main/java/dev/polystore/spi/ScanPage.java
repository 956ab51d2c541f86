package dev.polystore.spi;

import java.util.List;

/**
 * A backend's answer to {@link StorageBackend#scan}.
 *
 * @param items live items of the segment after the position, in any order the backend keeps
 *              stable; at most the limit, and at most {@link #MAX_BYTES} of payload unless the
 *              first item alone is larger
 * @param next the opaque position to resume after this page, or null when the segment is done.
 *             It may point past items not returned (expired ones), and a page may be empty
 *             while it is set
 * @param expiredSkipped how many expired items this page passed over (never returned)
 */
public record ScanPage(List<RawItem> items, String next, int expiredSkipped) {
    /** The most payload bytes a page carries (beyond its first item): pages bound the reader's memory. */
    public static final int MAX_BYTES = 4 * 1024 * 1024;

    public ScanPage {
        items = List.copyOf(items);
        if (expiredSkipped < 0) {
            throw new IllegalArgumentException("expiredSkipped must not be negative");
        }
    }
}
