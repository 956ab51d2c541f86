package dev.polystore.internal;

import dev.polystore.Capabilities;
import dev.polystore.Capability;
import dev.polystore.Codec;
import dev.polystore.DialogueStore;
import dev.polystore.DocumentStore;
import dev.polystore.Health;
import dev.polystore.JacksonCodec;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.StoreOptions;
import dev.polystore.ValidationException;
import dev.polystore.Transaction;
import dev.polystore.UnavailableException;
import dev.polystore.StoreException;
import dev.polystore.UnsupportedCapabilityException;
import dev.polystore.internal.domain.DefaultDialogueStore;
import dev.polystore.internal.domain.DefaultDocumentStore;
import dev.polystore.internal.coordination.Coordination;
import dev.polystore.internal.coordination.DefaultEventStore;
import dev.polystore.internal.coordination.DefaultLeases;
import dev.polystore.internal.coordination.EventLog;
import dev.polystore.event.EventStore;
import dev.polystore.lease.LeaseOptions;
import dev.polystore.lease.Leases;
import dev.polystore.spi.ChangeNotifier;
import dev.polystore.spi.SearchIndex;
import dev.polystore.spi.StorageBackend;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@link Storage} every backend gets: the API layer written once over the SPI. */
public final class DefaultStorage implements Storage {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultStorage.class);

    /** How long close() waits for subscriptions to save their last checkpoint. */
    private static final Duration COORDINATION_GRACE = Duration.ofSeconds(2);

    private final String name;
    private final StorageBackend backend;
    private final Clock clock;
    private final Capabilities capabilities;
    private final CursorCodec cursors;
    private final Map<String, CompletableFuture<Void>> preparedTables = new ConcurrentHashMap<>();
    /** The catalogs of the tables opened with secondary indexes, by table. */
    private final Map<String, IndexCatalog> indexCatalogs = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile DialogueStore dialogueStore;
    private volatile DocumentStore documentStore;
    private final Coordination coordination;
    private final dev.polystore.spi.IndexAccelerator accelerator;
    private volatile Leases defaultLeases;
    private volatile EventLog eventLog;

    /** A storage whose cursors are sealed under the built-in, public secret ({@link Cursors#withDefaultSecret()}). */
    public DefaultStorage(String name, StorageBackend backend, Clock clock) {
        this(name, backend, clock, Cursors.withDefaultSecret());
    }

    /** A storage whose page cursors are made and opened by {@code cursors}. */
    public DefaultStorage(String name, StorageBackend backend, Clock clock, CursorCodec cursors) {
        this.name = Objects.requireNonNull(name, "name");
        this.backend = Objects.requireNonNull(backend, "backend");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.cursors = Objects.requireNonNull(cursors, "cursors");
        this.capabilities = Objects.requireNonNull(backend.capabilities(), "capabilities");
        this.coordination = new Coordination(name);
        this.accelerator = capabilities.has(Capability.NATIVE_INDEXES) ? backend.indexAccelerator().orElse(null) : null;
    }

    /**
     * The backend's native store of index entries, or null: indexed stores then keep their entries
     * as items. Used when the backend declares {@link Capability#NATIVE_INDEXES} and offers one
     * (a layer that hides its delegate's accelerator but still declares the capability gets the
     * portable entries, which are always right).
     */
    dev.polystore.spi.IndexAccelerator accelerator() {
        return accelerator;
    }

    @Override
    public String backend() {
        return name;
    }

    /** The backend under this storage; for the domain stores and tests in this module. */
    public StorageBackend spi() {
        return backend;
    }

    public Clock clock() {
        return clock;
    }

    /** Makes and opens the page cursors of this storage's stores. */
    CursorCodec cursors() {
        return cursors;
    }

    @Override
    public <T> Store<T> store(String storeName, Class<T> type) {
        return store(storeName, JacksonCodec.of(type));
    }

    @Override
    public <T> Store<T> store(String storeName, Codec<T> codec) {
        Keys.requireTableName(storeName);
        return new DefaultStore<>(this, storeName, Objects.requireNonNull(codec, "codec"));
    }

    @Override
    public <T> Store<T> store(String storeName, Class<T> type, StoreOptions<T> options) {
        return store(storeName, JacksonCodec.of(type), options);
    }

    @Override
    public <T> Store<T> store(String storeName, Codec<T> codec, StoreOptions<T> options) {
        Keys.requireTableName(storeName);
        Objects.requireNonNull(codec, "codec");
        if (Objects.requireNonNull(options, "options").indexes().isEmpty()) {
            return new DefaultStore<>(this, storeName, codec);
        }
        require(Capability.TRANSACTIONS);
        if (!capabilities.transactionsAcrossPartitions()) {
            throw new ValidationException("backend '" + name + "' keeps each transaction within one partition key "
                    + "(Capabilities.transactionsAcrossPartitions() is false, e.g. Redis Cluster), and an index entry "
                    + "lives in a partition of its own: store '" + storeName + "' cannot have declared indexes here; "
                    + "use a backend whose transactions span partition keys (Redis standalone or Sentinel, PostgreSQL, "
                    + "SQLite, DynamoDB)");
        }
        IndexCatalog catalog = indexCatalogs.computeIfAbsent(storeName,
                t -> new IndexCatalog(this, t, options.indexes()));
        if (!catalog.sameDeclaration(options.indexes())) {
            throw new ValidationException("store '" + storeName + "' is already open in this storage with the indexes "
                    + catalog.declared().values() + "; every view of an indexed store must declare the same indexes "
                    + "(got " + options.indexes() + ")");
        }
        return new DefaultStore<>(this, storeName, codec, new IndexSet<>(storeName, options.indexes()));
    }

    /** The catalog of a table this storage opened with indexes, or null. */
    IndexCatalog indexCatalog(String table) {
        return indexCatalogs.get(table);
    }

    @Override
    public <T> T unwrap(Class<T> type) {
        Objects.requireNonNull(type, "type");
        if (closed.get()) {
            throw closedException();
        }
        Map<Class<?>, Object> handles = backend.nativeHandles();
        Object exact = handles.get(type);
        if (type.isInstance(exact)) {
            return type.cast(exact);
        }
        for (Object handle : handles.values()) {
            if (type.isInstance(handle)) {
                return type.cast(handle);
            }
        }
        List<String> offered = new ArrayList<>();
        handles.keySet().forEach(c -> offered.add(c.getName()));
        Collections.sort(offered);
        throw new ValidationException("backend '" + name + "' has no " + type.getName() + " to hand out; "
                + (offered.isEmpty() ? "it hands out no native client or data source (a layer over a backend hides "
                + "them unless it passes them on)" : "it has " + String.join(", ", offered)));
    }

    @Override
    public Transaction transaction() {
        return new DefaultTransaction(this);
    }

    @Override
    public DialogueStore dialogues() {
        require(Capability.TRANSACTIONS);
        DialogueStore d = dialogueStore;
        if (d == null) {
            synchronized (this) {
                if (dialogueStore == null) {
                    dialogueStore = new DefaultDialogueStore(this, clock);
                }
                d = dialogueStore;
            }
        }
        return d;
    }

    @Override
    public DocumentStore documents() {
        require(Capability.TRANSACTIONS);
        DocumentStore d = documentStore;
        if (d == null) {
            synchronized (this) {
                if (documentStore == null) {
                    SearchIndex index = null;
                    if (capabilities.has(Capability.NATIVE_SEARCH)) {
                        index = backend.searchIndex().orElseThrow(() -> new StoreException("backend '" + name
                                + "' declares " + Capability.NATIVE_SEARCH + " but its searchIndex() is empty"));
                    }
                    documentStore = new DefaultDocumentStore(this, clock, index);
                }
                d = documentStore;
            }
        }
        return d;
    }

    @Override
    public Leases leases() {
        Leases l = defaultLeases;
        if (l == null) {
            synchronized (this) {
                if (defaultLeases == null) {
                    defaultLeases = new DefaultLeases(this, clock, coordination, LeaseOptions.defaults());
                }
                l = defaultLeases;
            }
        }
        return l;
    }

    @Override
    public Leases leases(LeaseOptions options) {
        return new DefaultLeases(this, clock, coordination, Objects.requireNonNull(options, "options"));
    }

    @Override
    public <T> EventStore<T> events(Codec<T> codec) {
        Objects.requireNonNull(codec, "codec");
        require(Capability.TRANSACTIONS);
        EventLog log = eventLog;
        if (log == null) {
            synchronized (this) {
                if (eventLog == null) {
                    ChangeNotifier notifier = null;
                    if (capabilities.has(Capability.CHANGE_NOTIFICATIONS)) {
                        notifier = backend.changeNotifier().orElseThrow(() -> new StoreException("backend '" + name
                                + "' declares " + Capability.CHANGE_NOTIFICATIONS + " but its changeNotifier() is empty"));
                    }
                    eventLog = new EventLog(this, clock, coordination, notifier);
                }
                log = eventLog;
            }
        }
        return new DefaultEventStore<>(log, codec);
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    @Override
    public CompletableFuture<Health> health() {
        long start = System.nanoTime();
        if (closed.get()) {
            return CompletableFuture.completedFuture(new Health(false, name, Duration.ZERO, Map.of("error", "closed")));
        }
        return Futures.guard(name, backend::health)
                .thenApply(h -> h.backend().equals(name) ? h : new Health(h.healthy(), name, h.latency(), h.details()))
                .exceptionally(e -> new Health(false, name,
                Duration.ofNanos(System.nanoTime() - start), Map.of("error", String.valueOf(Futures.unwrap(e)))));
    }

    @Override
    public void close() {
        // Subscriptions save their last checkpoint and leases stop renewing while the engine is still open.
        coordination.close(COORDINATION_GRACE);
        if (closed.compareAndSet(false, true)) {
            try {
                backend.close();
            } catch (RuntimeException e) {
                LOG.warn("Closing the {} backend failed", name, e);
            }
        }
    }

    /**
     * Runs {@code call} on the backend once {@code table} is prepared, with every failure turned
     * into a {@code StoreException}.
     */
    <T> CompletableFuture<T> call(String table, Supplier<CompletableFuture<T>> call) {
        if (closed.get()) {
            return CompletableFuture.failedFuture(closedException());
        }
        CompletableFuture<Void> prepared = prepare(table);
        if (prepared.isDone() && !prepared.isCompletedExceptionally()) {
            return Futures.guard(name, call);
        }
        return prepared.thenCompose(v -> Futures.guard(name, call));
    }

    /**
     * {@link #call} for {@code dev.polystore.migration}: runs {@code call} on the backend once
     * {@code table} is prepared (created on the target if the backend may), failures as
     * {@code StoreException}s; with a null table, only after checking the storage is open.
     */
    public <T> CompletableFuture<T> callBackend(String table, Supplier<CompletableFuture<T>> call) {
        if (table == null) {
            return closed.get() ? CompletableFuture.failedFuture(closedException()) : Futures.guard(name, call);
        }
        return call(table, call);
    }

    CompletableFuture<Void> prepare(String table) {
        CompletableFuture<Void> existing = preparedTables.get(table);
        if (existing != null) {
            return existing;
        }
        CompletableFuture<Void> fresh = new CompletableFuture<>();
        existing = preparedTables.putIfAbsent(table, fresh);
        if (existing != null) {
            return existing;
        }
        Futures.guard(name, () -> backend.prepareTable(table)).whenComplete((v, e) -> {
            if (e != null) {
                // Let a later call try again (the table may be created meanwhile).
                preparedTables.remove(table, fresh);
                fresh.completeExceptionally(e);
            } else {
                fresh.complete(null);
            }
        });
        return fresh;
    }

    UnavailableException closedException() {
        return new UnavailableException("this Storage (" + name + ") is closed", null);
    }

    void require(Capability capability) {
        if (!capabilities.has(capability)) {
            throw new UnsupportedCapabilityException(name, capability);
        }
    }
}
