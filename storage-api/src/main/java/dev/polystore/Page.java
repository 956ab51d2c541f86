package dev.polystore;

import java.util.List;
import java.util.Optional;

/**
 * One page of a query's results, in the query's order, and the cursor to the next page.
 *
 * <p>A page holds at most the query's limit and may hold fewer while more follow (expired
 * items are skipped). {@link #cursor()} is empty exactly when the query has been read to its
 * end. Cursors are opaque, URL-safe strings, and portable between backends.
 *
 * @param items the items of this page
 * @param cursor where the next page starts; empty at the end
 * @param <T> the value type
 */
public record Page<T>(List<Item<T>> items, Optional<String> cursor) {
    public Page {
        items = List.copyOf(items);
    }

    public boolean hasMore() {
        return cursor.isPresent();
    }
}
