package dev.polystore.spi;

import dev.polystore.Capabilities;
import dev.polystore.Capability;
import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.UnsupportedCapabilityException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The raw item engine a backend author implements; users never see it. The API layer
 * ({@code Store}, {@code Transaction}, the domain stores) is written once over this interface.
 *
 * <p><b>What the API layer guarantees before calling:</b> table names match
 * {@code [a-z][a-z0-9_]{0,47}}; keys follow {@link dev.polystore.Limits}; items fit the size
 * limit; transactions and batches fit {@link #capabilities()}'s limits and have distinct keys;
 * optional methods are called only when their {@link Capability} is declared; {@link #prepareTable}
 * completed for a table before any other call names it.
 *
 * <p><b>What a backend guarantees:</b>
 * <ul>
 *   <li>a future that completes normally means the write is durable and visible to every later
 *       read, from any thread or process sharing the engine;</li>
 *   <li>conditions are checked atomically with the write; a failed condition completes with
 *       {@link dev.polystore.ConditionFailedException} and writes nothing;</li>
 *   <li>versions: 1 for a new item (or one written over an expired item), previous + 1 otherwise;</li>
 *   <li>items whose expiry has passed (by the context's clock) are absent to every read and
 *       condition;</li>
 *   <li>sort keys compare by UTF-8 bytes;</li>
 *   <li>failures are {@link dev.polystore.StoreException} subclasses with the engine's exception
 *       as cause: {@link dev.polystore.UnavailableException} when the engine could not serve
 *       the request, {@link dev.polystore.OutcomeUnknownException} when a write may or may not
 *       have been applied;</li>
 *   <li>payload arrays returned in {@link RawItem}s are fresh: the backend keeps no reference
 *       to them (the API hands them to callers as they are, e.g. through {@code Codec.bytes()});
 *       payload arrays passed in are the backend's to keep;</li>
 *   <li>futures may complete on any thread; methods never block the caller on I/O where the
 *       engine offers asynchronous access.</li>
 * </ul>
 * The testkit's contract suites check all of this.
 */
public interface StorageBackend extends AutoCloseable {

    /** What this backend offers; constant for its lifetime. */
    Capabilities capabilities();

    /**
     * Makes a table ready: create it if the backend may, or check that it exists. Called once
     * per table name before other calls name it; must be idempotent. A missing table that may
     * not be created completes with {@link dev.polystore.ConfigurationException} naming the
     * table and the config key that would allow creating it.
     */
    CompletableFuture<Void> prepareTable(String table);

    /** The unexpired item at {@code key}, or empty. */
    CompletableFuture<Optional<RawItem>> get(String table, Key key);

    /** Writes if the condition holds. @return the item's new version */
    CompletableFuture<Long> put(WriteOp.Put put);

    /**
     * Deletes if the condition holds.
     *
     * @return whether an unexpired item was there. An unconditional delete that was applied,
     *         after an earlier attempt of the same call whose outcome is unknown, returns
     *         {@code true} (an item may have been deleted by this call); {@code false} only when
     *         certainly nothing was deleted by it (see {@code Store.delete})
     */
    CompletableFuture<Boolean> delete(WriteOp.Delete delete);

    /** One page of a partition. */
    CompletableFuture<RawPage> query(QuerySpec query);

    /**
     * Reads up to {@link dev.polystore.Capabilities#maxBatchGetItems()} distinct keys
     * ({@link Capability#BATCH}). @return the unexpired items found, in any order
     */
    default CompletableFuture<List<RawItem>> batchGet(String table, List<Key> keys) {
        return CompletableFuture.failedFuture(new UnsupportedCapabilityException(name(), Capability.BATCH));
    }

    /**
     * Applies up to {@link dev.polystore.Capabilities#maxBatchWriteItems()} unconditional puts
     * and deletes with distinct keys, not atomically ({@link Capability#BATCH}). Items the
     * engine leaves unprocessed are retried with backoff a bounded number of times; those still
     * unprocessed are reported with {@link dev.polystore.BatchWriteException}, never dropped; keys
     * whose write may or may not have been applied (its answer lost) go in its
     * {@link dev.polystore.BatchWriteException#inDoubt()} list, not in {@code unprocessed()}. A
     * batch whose every key is in doubt may also fail with
     * {@link dev.polystore.OutcomeUnknownException}.
     */
    default CompletableFuture<Void> batchWrite(String table, List<WriteOp> writes) {
        return CompletableFuture.failedFuture(new UnsupportedCapabilityException(name(), Capability.BATCH));
    }

    /**
     * Applies every operation or none ({@link Capability#TRANSACTIONS}). A failed condition
     * completes with {@link dev.polystore.ConditionFailedException} carrying the operation's
     * index where the engine reports it.
     *
     * @return per operation, the new version of a put, 0 for deletes and checks
     */
    default CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
        return CompletableFuture.failedFuture(new UnsupportedCapabilityException(name(), Capability.TRANSACTIONS));
    }

    /**
     * The backend's native full-text index, present exactly when {@link #capabilities()}
     * declares {@link Capability#NATIVE_SEARCH}. See {@link SearchIndex} for what it must index
     * and when.
     */
    default Optional<SearchIndex> searchIndex() {
        return Optional.empty();
    }

    /**
     * The backend's native store of secondary-index entries, present exactly when
     * {@link #capabilities()} declares {@link Capability#NATIVE_INDEXES}. See
     * {@link IndexAccelerator} for what it must keep and when.
     */
    default Optional<IndexAccelerator> indexAccelerator() {
        return Optional.empty();
    }

    /**
     * The engine's native objects a user may ask for with {@code Storage.unwrap(Class)}, by the
     * type to ask for (each value an instance of its key): e.g. the DynamoDB
     * {@code DynamoDbAsyncClient}, or a read-only {@code javax.sql.DataSource} over an SQLite
     * file. Empty by default. Hand out only what is safe to share: the backend keeps owning it
     * (callers must not be able to close it under the backend), and prefer read-only access where
     * the engine allows it, since writes made through it bypass versions, conditions, expiry,
     * indexes and every layer. Document each type on the backend's page. A layer over a backend
     * ({@link ForwardingStorageBackend}) hides these unless it decides to pass them through.
     */
    default java.util.Map<Class<?>, Object> nativeHandles() {
        return java.util.Map.of();
    }

    /**
     * The backend's native wake-up hook for event subscribers, present exactly when
     * {@link #capabilities()} declares {@link Capability#CHANGE_NOTIFICATIONS}. See
     * {@link ChangeNotifier} for what it must announce and when.
     */
    default Optional<ChangeNotifier> changeNotifier() {
        return Optional.empty();
    }

    // ------------------------------------------------------------------ scan and import
    // For migration, export, verification and re-encryption (dev.polystore.migration.Migration):
    // never called on a request path. See docs/writing-a-backend.md, "Scan and import".

    /**
     * The names of every store (table) this backend holds, in any order ({@link Capability#SCAN}).
     * Only names that pass {@link TableNames#isValid}; stores the engine shares with others (a
     * DynamoDB account) are those under this backend's own naming (its table prefix).
     */
    default CompletableFuture<List<String>> listTables() {
        return CompletableFuture.failedFuture(new UnsupportedCapabilityException(name(), Capability.SCAN));
    }

    /**
     * Plans a scan of {@code table} in {@code segments} independent segments
     * ({@link Capability#SCAN}): exactly that many opaque start positions, which together cover
     * every key and never one key twice. Must not read the whole table (sample it, or split by
     * hash as DynamoDB's parallel scan does); a small table may get empty segments. Positions are
     * ASCII, stay valid across processes and restarts of this backend's engine, and are refused
     * with {@link dev.polystore.ValidationException} when they come from another engine.
     *
     * @param segments 1 to 10,000
     */
    default CompletableFuture<ScanPlan> scanSegments(String table, int segments) {
        return CompletableFuture.failedFuture(new UnsupportedCapabilityException(name(), Capability.SCAN));
    }

    /**
     * One page of a segment ({@link Capability#SCAN}): live items after {@code position}, at most
     * {@code limit} (1 to 1000) and at most {@link ScanPage#MAX_BYTES} of payload beyond the first
     * item, with the position to resume after it ({@code null} when the segment is done). Expired
     * items are never returned; the page counts those it passed. Resuming from a position a page
     * returned continues exactly where that page ended, in this process or another.
     *
     * <p><b>Under concurrent writes</b> a scan is no snapshot, but every backend guarantees: a key
     * is returned at most once per scan (over all its segments and resumptions), and an item that
     * exists from the start of the scan to its end is returned exactly once, in one of the
     * versions it had meanwhile. Items created or deleted during the scan may or may not appear.
     */
    default CompletableFuture<ScanPage> scan(String table, String position, int limit) {
        return CompletableFuture.failedFuture(new UnsupportedCapabilityException(name(), Capability.SCAN));
    }

    /**
     * Writes items exactly as given ({@link Capability#IMPORT}): the same payload, version and
     * expiry, never a version of this backend's own. Any number of items with distinct keys; the
     * backend splits them as its engine needs, not atomically. Per item, in order:
     * {@link ImportOutcome.Status#EXPIRED} when its expiry has passed by this backend's clock (not
     * written); with {@link ImportMode#IF_NEWER}, written when there is no live item at the key
     * or the live item's version is lower, otherwise {@link ImportOutcome.Status#KEPT} with the
     * live version, decided atomically with the write; with {@link ImportMode#OVERWRITE},
     * written whatever is there. A failure of one item is its outcome
     * ({@link ImportOutcome.Status#FAILED}, the same kinds as other writes), not the future's:
     * the future fails only when nothing can be said about any item. Repeating an import is
     * safe: with {@code IF_NEWER} it keeps what the first one wrote.
     */
    default CompletableFuture<List<ImportOutcome>> importItems(String table, List<RawItem> items, ImportMode mode) {
        return CompletableFuture.failedFuture(new UnsupportedCapabilityException(name(), Capability.IMPORT));
    }

    /**
     * Bytes this backend adds to every payload it stores (a layer that encrypts adds its nonce, tag
     * and key id), which the portable size limit counts: the API layer refuses an item whose keys,
     * payload and this overhead exceed {@link dev.polystore.Limits#MAX_ITEM_BYTES}, with
     * {@link dev.polystore.ValidationException} and before anything is written, on every backend
     * alike. 0 by default; a layer returns its own overhead plus its delegate's.
     */
    default int payloadOverheadBytes() {
        return 0;
    }

    /** Sends a trivial request. Should not complete exceptionally: report failures as unhealthy. */
    CompletableFuture<Health> health();

    /** The provider name, for messages. */
    String name();

    /**
     * Completes or fails every pending operation, then releases resources: when it returns, every
     * future this backend handed out is complete. Stop admitting new calls first and let the
     * ones in flight finish within a bounded grace period, so that a clean shutdown never turns
     * a write the engine accepted into "outcome unknown"; fail what is left after it with
     * {@link dev.polystore.OutcomeUnknownException} (a write that may have been sent) or
     * {@link dev.polystore.UnavailableException}. Idempotent; never throws.
     *
     * <p><b>Who rejects calls after close:</b> the API layer. Once {@code Storage.close()} has
     * begun, every new call through the API fails with {@link dev.polystore.UnavailableException}
     * without reaching the backend, and the API calls this method once. A backend still sees the
     * calls that were in flight when close began or raced with it, and calls from anything else
     * holding it directly (a layer, a test); it must fail those with
     * {@link dev.polystore.UnavailableException} (never hang, never succeed silently after its
     * resources are gone).
     */
    @Override
    void close();
}
