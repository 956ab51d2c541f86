package dev.polystore;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A declared secondary index of a {@link Store}, from {@link Store#index(String)}: the store's
 * items found by a key computed from their values ({@link IndexSpec}), read as pages with cursors
 * exactly like {@link Store#query(Query)}. A query reads one partition of index entries; it never
 * scans the store.
 *
 * <p><b>Consistency.</b> Every entry is written, moved or removed in the same atomic write as its
 * item (see {@code docs/indexes.md}), so a query never returns an item under a key its value no
 * longer has, never misses an item that had the key during the whole read, and returns each item
 * as it was at one committed write (with that write's version). A page is read at one moment;
 * paging through a key while writers move items in and out of it behaves like paging through a
 * partition: an item that stays in the key is seen exactly once, one that moves may be seen or not.
 *
 * <p>Thread-safe. Futures complete as described in {@link Store}, and also with
 * {@link IndexNotReadyException} for a query of an index that is not built yet, and
 * {@link ValidationException} for a range on an index without sort key, or a cursor of another
 * query.
 *
 * @param <T> the value type
 */
public interface Index<T> {

    /** The index's name, as declared. */
    String name();

    /** The name of the store it indexes. */
    String store();

    /** Whether at most one item has each key. */
    boolean unique();

    /** Whether the items of one key are ordered by a sort key. */
    boolean sorted();

    /** One page of the items whose value has {@code query.key()}; resume with {@code query.after(page.cursor())}. */
    CompletableFuture<Page<T>> query(IndexQuery query);

    /**
     * Every item whose value has {@code key}, read page by page and gathered in memory: for keys
     * with many items use {@link #query(IndexQuery)} or {@link #forEach(IndexQuery, Consumer)}.
     */
    CompletableFuture<List<Item<T>>> query(String key);

    /**
     * The item of a unique index with {@code key}, or empty. Completes exceptionally with
     * {@link ValidationException} if this index is not unique (use {@link #query(String)}), and
     * with {@link IndexNotReadyException} while it is not built.
     */
    CompletableFuture<Optional<Item<T>>> get(String key);

    /**
     * Streams every item matching {@code query} to {@code action}, one page at a time, like
     * {@link Store#forEach(Query, Consumer)}.
     *
     * @return completes after the last item, with the number of items passed to {@code action}
     */
    CompletableFuture<Long> forEach(IndexQuery query, Consumer<? super Item<T>> action);

    /** Whether the index is built, read from the store's catalog (shared by every process). */
    CompletableFuture<IndexStatus> status();

    /**
     * Builds the index: gives every item written before the index was declared its entries, then
     * marks the index {@link IndexStatus.State#READY}. Completes at once for an index that is
     * ready (an index declared on a new store is ready after a build that finds nothing).
     * Resumable: progress is recorded in the store after each page of items, so a build that
     * fails or whose process dies continues where it stopped when called again, from any process.
     * Safe while writers write (they maintain the index from the moment it is declared) and when
     * several processes build at once. Reads the whole store: a maintenance task, never one for a
     * request path.
     *
     * <p>Fails with {@link UniqueIndexViolationException} when two existing items share a key of
     * a unique index (the index stays {@code BUILDING}: fix one of them, then build again),
     * {@link CodecException} when an item cannot be decoded, and {@link UnsupportedCapabilityException}
     * or {@link StoreException} when the backend cannot read a whole store.
     */
    CompletableFuture<IndexStatus> build();

    /**
     * Builds at most about {@code maxItems} items (whole pages) and returns the progress: for a
     * build spread over time, one step per call. Repeat until the status is ready.
     *
     * @param maxItems at least 1
     */
    CompletableFuture<IndexStatus> build(long maxItems);
}
