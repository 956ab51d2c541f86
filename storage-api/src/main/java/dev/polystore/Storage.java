package dev.polystore;

import dev.polystore.event.EventStore;
import dev.polystore.lease.LeaseOptions;
import dev.polystore.lease.Leases;
import java.util.concurrent.CompletableFuture;

/**
 * An open connection to one storage engine, from {@link StoreFactory}. Hands out the stores,
 * says what the backend can do, and owns its resources: close it when done (closing completes
 * or fails every pending operation; none is left hanging).
 *
 * <p>Thread-safe. Stores are cheap views: asking twice for a name gives equivalent stores.
 */
public interface Storage extends AutoCloseable {

    /** The provider name of the backend, e.g. {@code "sqlite"}. */
    String backend();

    /**
     * A store of {@code type} values, encoded as JSON with {@link JacksonCodec}.
     *
     * @param name lower-case letters, digits and {@code _}, starting with a letter, at most 48
     *             characters; it becomes a table name in the engine
     * @throws ValidationException if the name does not fit that rule
     */
    <T> Store<T> store(String name, Class<T> type);

    /** A store of values encoded by {@code codec}; same naming rule as {@link #store(String, Class)}. */
    <T> Store<T> store(String name, Codec<T> codec);

    /**
     * A store of {@code type} values (JSON) opened with {@code options}: with declared secondary
     * indexes, each kept in the same atomic write as the items and queried through
     * {@link Store#index(String)} (see {@code docs/indexes.md} for the model and the costs).
     *
     * <p>Every writer of an indexed store must declare the same indexes: within this storage a
     * second view of the same name with other indexes is refused here, and a view without them
     * can read but not write. On the first call that uses the store, its catalog (shared by every
     * process) records the indexes; an index declared on a store that already has items is
     * {@link IndexStatus.State#BUILDING} until {@link Index#build()} completes.
     *
     * @throws ValidationException if the name does not fit the rule of {@link #store(String, Class)},
     *                             this storage already opened the store with other indexes, or indexes
     *                             are declared on a backend whose transactions stay within one
     *                             partition key ({@link Capabilities#transactionsAcrossPartitions()}
     *                             false: Redis Cluster)
     * @throws UnsupportedCapabilityException if indexes are declared on a backend without
     *                                        {@link Capability#TRANSACTIONS}
     */
    <T> Store<T> store(String name, Class<T> type, StoreOptions<T> options);

    /** A store of values encoded by {@code codec}, opened with {@code options}; see {@link #store(String, Class, StoreOptions)}. */
    <T> Store<T> store(String name, Codec<T> codec, StoreOptions<T> options);

    /** A new atomic multi-item write ({@link Capability#TRANSACTIONS}). */
    Transaction transaction();

    /**
     * The dialogue store (RFC 0051 dialogues: perspectives, tensions, their history), created
     * once per storage. Its items live in the store {@code dialogues}; see
     * {@code docs/domain-stores.md} for the layout.
     *
     * @throws UnsupportedCapabilityException if the backend lacks {@link Capability#TRANSACTIONS},
     *                                        which the domain stores need for their atomic writes
     */
    DialogueStore dialogues();

    /**
     * The document store (documents, search, links), created once per storage. Its items live
     * in the store {@code documents}; a backend with {@link Capability#NATIVE_SEARCH} answers
     * searches from its own index.
     *
     * @throws UnsupportedCapabilityException if the backend lacks {@link Capability#TRANSACTIONS}
     */
    DocumentStore documents();

    /**
     * Leases with fencing tokens ({@code docs/coordination.md}), with {@link LeaseOptions#defaults()};
     * one instance per Storage. Their items live in the store {@code leases}. Fenced writes need
     * {@link Capability#TRANSACTIONS}; leases themselves work on every backend.
     */
    default Leases leases() {
        return leases(LeaseOptions.defaults());
    }

    /**
     * Leases acquired and renewed with {@code options} (owner label, ticker, renewal, margins): a
     * new instance, sharing the lease items of every other instance on the same engine.
     */
    default Leases leases(LeaseOptions options) {
        throw new UnsupportedOperationException(getClass().getName() + " does not offer leases");
    }

    /**
     * Event streams whose data are {@code type} values, encoded as JSON with {@link JacksonCodec}
     * ({@code docs/coordination.md}). Their items live in the store {@code events}; views of any
     * type share the streams.
     *
     * @throws UnsupportedCapabilityException if the backend lacks {@link Capability#TRANSACTIONS},
     *                                        which every append needs
     */
    default <T> EventStore<T> events(Class<T> type) {
        return events(JacksonCodec.of(type));
    }

    /**
     * Event streams whose data are encoded by {@code codec}; see {@link #events(Class)}.
     *
     * @throws UnsupportedCapabilityException if the backend lacks {@link Capability#TRANSACTIONS}
     */
    default <T> EventStore<T> events(Codec<T> codec) {
        throw new UnsupportedOperationException(getClass().getName() + " does not offer event streams");
    }

    /** What this backend offers. */
    Capabilities capabilities();

    /**
     * The engine's own client or data source, when the backend has one of {@code type} (the JDBC
     * {@code Wrapper} idiom): for what Polystore does not offer, such as a DynamoDB
     * {@code DescribeTable}, an SQLite {@code EXPLAIN QUERY PLAN} or an engine's statistics. Which
     * types each backend hands out is documented on its page ({@code docs/sqlite.md},
     * {@code docs/dynamodb.md}, ...); the memory backend has none.
     *
     * <p><b>Writes made through it bypass Polystore</b>: item versions, conditions, expiry,
     * secondary indexes, and any layer over the backend (an encrypting layer never hands out the
     * client under it). Do not close what it returns: the storage owns it, and closing the storage
     * closes it.
     *
     * @throws ValidationException if the backend has nothing of {@code type}; the message names the
     *                             types it has
     * @throws UnavailableException if this storage is closed
     */
    default <T> T unwrap(Class<T> type) {
        throw new ValidationException("backend '" + backend() + "' hands out no native client or data source");
    }

    /** Checks that the engine answers. Never completes exceptionally: failures are unhealthy results. */
    CompletableFuture<Health> health();

    /**
     * Finishes or fails every pending operation, then releases the engine's resources.
     * Idempotent. Operations started after close fail with {@link UnavailableException}.
     */
    @Override
    void close();
}
