package dev.polystore;

import java.util.List;
import java.util.Optional;

/**
 * One page of a query's results, in the query's order, and the cursor to the next page.
 *
 * <p>A page holds at most the query's limit and may hold fewer while more follow (expired
 * items are skipped). {@link #cursor()} is empty exactly when the query has been read to its
 * end.
 *
 * <p>Cursors are opaque, URL-safe strings (base64url without padding, at most 1,404
 * characters) that resume only the query whose page returned them ({@link Query#after}). Each
 * is sealed with AES-GCM under a key derived from the storage's cursor secret
 * ({@code [storage] cursor_secret}): any alteration makes the next query fail with
 * {@link ValidationException}, and with a secret of your own a cursor reveals nothing of the
 * keys it resumes after. Without a secret, a built-in public one is used: cursors are still
 * checked against corruption and casual edits, but anyone with the Polystore source can read or
 * forge them. Cursors are portable: a cursor opens on every backend and every process whose
 * storage has the same secret. Changing the secret makes outstanding cursors fail.
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
