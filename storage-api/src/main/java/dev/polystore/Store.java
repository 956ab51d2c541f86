package dev.polystore;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Items of one type, addressed by partition key and sort key, in one named store of a
 * {@link Storage}. Obtained from {@link Storage#store(String, Class)}.
 *
 * <p>Thread-safe. Every method returns at once with a {@link CompletableFuture}; the future
 * completes on a thread of the backend's choosing (do not assume which, and do not block in
 * dependent stages). It completes exceptionally with a {@link StoreException} subclass, which
 * {@code join()} shows wrapped in a {@link java.util.concurrent.CompletionException}:
 * <ul>
 *   <li>{@link ValidationException} for keys or items that break a {@link Limits} rule,
 *       before anything is sent to the engine;</li>
 *   <li>{@link ConditionFailedException} when a write's {@link Condition} is not met;</li>
 *   <li>{@link UnavailableException} (retryable) when the engine cannot serve the request;</li>
 *   <li>{@link OutcomeUnknownException} when a write's fate cannot be known;</li>
 *   <li>{@link CodecException} when a value cannot be encoded or a payload decoded;</li>
 *   <li>{@link UnsupportedCapabilityException} for an optional capability the backend lacks.</li>
 * </ul>
 *
 * <p>A write whose future completed normally is durable and visible to every later read.
 *
 * @param <T> the value type
 */
public interface Store<T> {

    /** The store's name, as given to {@link Storage#store(String, Class)}. */
    String name();

    /** The item at {@code (pk, sk)}, or empty if there is none (or it has expired). */
    CompletableFuture<Optional<Item<T>>> get(String pk, String sk);

    /** The item at {@code key}, or empty. */
    default CompletableFuture<Optional<Item<T>>> get(Key key) {
        return get(key.pk(), key.sk());
    }

    /**
     * Writes {@code item} unconditionally, replacing any item with its key.
     *
     * @return the stored item, carrying its new version
     */
    CompletableFuture<Item<T>> put(Item<T> item);

    /**
     * Writes {@code item} if {@code condition} holds for the item currently stored at its key;
     * otherwise completes with {@link ConditionFailedException} and writes nothing.
     *
     * @return the stored item, carrying its new version (1 for a new item, previous + 1 otherwise)
     */
    CompletableFuture<Item<T>> put(Item<T> item, Condition condition);

    /** Shorthand for {@code put(item, Condition.ifAbsent())}. */
    default CompletableFuture<Item<T>> putIfAbsent(Item<T> item) {
        return put(item, Condition.ifAbsent());
    }

    /**
     * Deletes the item at {@code (pk, sk)} if there is one. When the future completes normally
     * the item is gone.
     *
     * @return whether an item was there (and is now deleted). On an engine that retries
     *         requests, an earlier attempt of this same call may have been applied without its
     *         answer arriving, and the attempt that answered then found nothing: the item is
     *         certainly gone, and only whether it was there before the call is unknown. Such a
     *         delete reports {@code true} ("an item may have been deleted by this call"), never
     *         a failure; {@code false} always means no item was there for this call to delete.
     */
    CompletableFuture<Boolean> delete(String pk, String sk);

    /**
     * Deletes the item at {@code (pk, sk)} if {@code condition} holds; otherwise completes with
     * {@link ConditionFailedException}. {@link Condition#ifAbsent()} is not a delete condition.
     *
     * @return whether an item was there (and is now deleted)
     */
    CompletableFuture<Boolean> delete(String pk, String sk, Condition condition);

    /**
     * Every item of partition {@code pk} whose sort key starts with {@code skPrefix}, in
     * ascending sort-key order (UTF-8 bytes). Reads page by page until the end and gathers
     * the result in memory: for large partitions use {@link #query(Query)} or
     * {@link #forEach(Query, Consumer)}.
     */
    CompletableFuture<List<Item<T>>> query(String pk, String skPrefix);

    /** One page of a query; resume with {@code query.after(page.cursor())}. */
    CompletableFuture<Page<T>> query(Query query);

    /**
     * Streams every item matching {@code query} (from its cursor, if set) to {@code action},
     * one page at a time: the next page is read only after {@code action} has been called for
     * every item of the previous one, so memory use is bounded by the page size. Calls to
     * {@code action} do not overlap. If {@code action} throws, reading stops and the future
     * completes exceptionally with that exception.
     *
     * @return completes after the last item, with the number of items passed to {@code action}
     */
    CompletableFuture<Long> forEach(Query query, Consumer<? super Item<T>> action);

    /**
     * Reads many items at once ({@link Capability#BATCH}). Keys may repeat; missing or expired
     * items are absent from the map.
     */
    CompletableFuture<Map<Key, Item<T>>> batchGet(List<Key> keys);

    /**
     * Writes many items unconditionally ({@link Capability#BATCH}). Not atomic: if some items
     * cannot be written after the backend's bounded retries, completes with
     * {@link BatchWriteException} listing exactly those ({@link BatchWriteException#unprocessed()}),
     * and separately the keys whose write may or may not have been applied
     * ({@link BatchWriteException#inDoubt()}); all others were written. Keys must be distinct.
     */
    CompletableFuture<Void> batchPut(List<Item<T>> items);

    /**
     * Deletes many items unconditionally ({@link Capability#BATCH}), with the same failure
     * reporting as {@link #batchPut(List)}. Keys must be distinct.
     */
    CompletableFuture<Void> batchDelete(List<Key> keys);

    /**
     * The declared secondary index {@code name} of this store (see
     * {@link Storage#store(String, Class, StoreOptions)} and {@code docs/indexes.md}).
     *
     * @throws ValidationException if this store was opened without an index of that name
     */
    default Index<T> index(String name) {
        throw new ValidationException("store '" + name() + "' has no index '" + name + "': declare it with "
                + "Storage.store(name, type, StoreOptions.indexes(...))");
    }

    /** The names of this store's declared secondary indexes, in declaration order; empty if none. */
    default List<String> indexNames() {
        return List.of();
    }
}
