package dev.polystore.spi;

import dev.polystore.Capabilities;
import dev.polystore.Health;
import dev.polystore.Key;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A backend that forwards every call to another: the base class of layers (a backend wrapped
 * around a backend, e.g. encryption, metrics, fault injection) and of test doubles. Subclass it
 * and override only what changes; everything else goes to {@link #delegate()} unchanged.
 *
 * <p>Every method of {@link StorageBackend}, including the optional ones with default bodies,
 * is forwarded here, so a layer over a backend keeps that backend's capabilities unless it
 * overrides {@link #capabilities()} (a layer that cannot preserve a capability must remove it
 * there, e.g. an encrypting layer removes native search over ciphertext). A test in
 * {@code storage-api} fails if a method added to {@code StorageBackend} is not forwarded.
 *
 * <p>Two methods are deliberately not forwarded: {@link #indexAccelerator()} (it writes around
 * the layer; see there), and {@link #nativeHandles()} (the engine's own client,
 * for {@code Storage.unwrap}) is hidden unless the layer passes it on, because a client that
 * reaches the engine around a layer bypasses it; see that method for the rule.
 *
 * <p>Thread-safe if the delegate is and the subclass's overrides are.
 */
public abstract class ForwardingStorageBackend implements StorageBackend {
    /** The backend every call goes to. */
    protected final StorageBackend delegate;

    protected ForwardingStorageBackend(StorageBackend delegate) {
        this.delegate = java.util.Objects.requireNonNull(delegate, "delegate");
    }

    /** The backend every call goes to. */
    public StorageBackend delegate() {
        return delegate;
    }

    /**
     * The delegate's capabilities, without {@link dev.polystore.Capability#NATIVE_INDEXES} unless
     * this layer hands out an {@link #indexAccelerator()}.
     */
    @Override
    public Capabilities capabilities() {
        Capabilities c = delegate.capabilities();
        if (c == null || !c.has(dev.polystore.Capability.NATIVE_INDEXES) || indexAccelerator().isPresent()) {
            return c;
        }
        java.util.Set<dev.polystore.Capability> without = java.util.EnumSet.copyOf(c.supported());
        without.remove(dev.polystore.Capability.NATIVE_INDEXES);
        return new Capabilities(without, c.maxTransactionItems(), c.maxTransactionBytes(), c.maxBatchGetItems(),
                c.maxBatchWriteItems(), c.transactionsAcrossPartitions());
    }

    @Override
    public CompletableFuture<Void> prepareTable(String table) {
        return delegate.prepareTable(table);
    }

    @Override
    public CompletableFuture<Optional<RawItem>> get(String table, Key key) {
        return delegate.get(table, key);
    }

    @Override
    public CompletableFuture<Long> put(WriteOp.Put put) {
        return delegate.put(put);
    }

    @Override
    public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
        return delegate.delete(delete);
    }

    @Override
    public CompletableFuture<RawPage> query(QuerySpec query) {
        return delegate.query(query);
    }

    @Override
    public CompletableFuture<List<RawItem>> batchGet(String table, List<Key> keys) {
        return delegate.batchGet(table, keys);
    }

    @Override
    public CompletableFuture<Void> batchWrite(String table, List<WriteOp> writes) {
        return delegate.batchWrite(table, writes);
    }

    @Override
    public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
        return delegate.transact(operations);
    }

    @Override
    public Optional<SearchIndex> searchIndex() {
        return delegate.searchIndex();
    }

    /**
     * Hides the delegate's native handles: a layer must decide whether a client that reaches the
     * engine around it may be handed out. A layer that changes what is stored (encryption,
     * compression, anything that rewrites payloads or keys) must not pass them on, since writes and
     * reads through them bypass it; a layer that only observes or protects calls (metrics,
     * tracing, retries, fault injection) may, by overriding this with
     * {@code return delegate.nativeHandles();}.
     */
    @Override
    public java.util.Map<Class<?>, Object> nativeHandles() {
        return java.util.Map.of();
    }

    /**
     * Hides the delegate's index accelerator (and {@link #capabilities()} then drops
     * {@link dev.polystore.Capability#NATIVE_INDEXES}): its {@link IndexAccelerator#transact}
     * writes items around this layer's {@link #transact}, so a layer passes it on only when it
     * changes nothing of what indexed writes store, with {@code return delegate.indexAccelerator();}.
     * Indexed stores then keep their entries as items, through this layer.
     */
    @Override
    public Optional<IndexAccelerator> indexAccelerator() {
        return Optional.empty();
    }

    @Override
    public Optional<ChangeNotifier> changeNotifier() {
        return delegate.changeNotifier();
    }

    @Override
    public CompletableFuture<List<String>> listTables() {
        return delegate.listTables();
    }

    @Override
    public CompletableFuture<ScanPlan> scanSegments(String table, int segments) {
        return delegate.scanSegments(table, segments);
    }

    @Override
    public CompletableFuture<ScanPage> scan(String table, String position, int limit) {
        return delegate.scan(table, position, limit);
    }

    @Override
    public CompletableFuture<List<ImportOutcome>> importItems(String table, List<RawItem> items, ImportMode mode) {
        return delegate.importItems(table, items, mode);
    }

    @Override
    public int payloadOverheadBytes() {
        return delegate.payloadOverheadBytes();
    }

    @Override
    public CompletableFuture<Health> health() {
        return delegate.health();
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
