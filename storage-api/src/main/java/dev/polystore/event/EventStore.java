package dev.polystore.event;

import dev.polystore.Direction;
import dev.polystore.lease.Lease;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Event streams, written once over the SPI and the same on every backend with
 * {@link dev.polystore.Capability#TRANSACTIONS}; from {@code Storage.events(type)}. See
 * {@code docs/coordination.md} for the item layout and the guarantees.
 *
 * <p><b>Streams</b> are named (1 to 512 UTF-8 bytes, no U+0000, no unpaired surrogates). Their
 * <em>category</em> is the part of the name before the first {@code '-'} (the whole name if there
 * is none): {@code "order-42"} is in category {@code "order"}. Each event gets the next revision
 * of its stream, 0, 1, 2 … without gaps. There is no order across streams, and no "all streams"
 * feed: a global sequence either serializes every append of the engine or lets a reader skip an
 * event that commits late.
 *
 * <p><b>Appends</b> are atomic (all events of one append or none), checked against an
 * {@link ExpectedRevision}, and idempotent by event id in every mode. One append is one engine
 * transaction of {@code 2 × events + 1} operations ({@code + 2} when it creates the stream,
 * {@code + 1} when fenced by a lease), so at most {@link #maxEventsPerAppend()} events fit; a
 * larger append fails with {@link dev.polystore.ValidationException} before anything is written.
 * Cost: 1 engine round trip when this Storage appended last to the stream (it remembers the
 * stream's head), else 2 (read the head, then the transaction); a conflicting or replayed append
 * reads once more.
 *
 * <p>Thread-safe. Futures complete exceptionally with {@link dev.polystore.StoreException}s:
 * {@link dev.polystore.ValidationException} (bad names, ids, sizes), {@link WrongExpectedRevisionException},
 * {@link EventIdConflictException}, {@link dev.polystore.lease.LeaseLostException} (a fenced append
 * after the lease was taken over), {@link dev.polystore.UnavailableException} (nothing written),
 * {@link dev.polystore.OutcomeUnknownException} (may have been written: retry the same append, it is
 * idempotent), {@link dev.polystore.CodecException}.
 *
 * @param <T> the type of the events' data, encoded by the store's codec
 */
public interface EventStore<T> {

    /**
     * Appends {@code events} atomically at the stream's next revisions, if {@code expected}
     * matches the stream.
     *
     * <p>Idempotency: if every event id is already in the stream, as consecutive revisions in this
     * order starting where {@code expected} would have put them (any position for
     * {@link ExpectedRevision#any()}), the result gives those revisions with
     * {@link AppendResult#replayed()} set and nothing is written; some ids present but not so
     * fails with {@link EventIdConflictException}. A write whose answer was lost is retried here a
     * few times before {@link dev.polystore.OutcomeUnknownException} is reported.
     *
     * @param events 1 to {@link #maxEventsPerAppend()} events with distinct ids
     */
    CompletableFuture<AppendResult> append(String stream, ExpectedRevision expected, List<NewEvent<T>> events);

    /**
     * As {@link #append(String, ExpectedRevision, List)}, and only while {@code fence} holds its
     * lease: checked by the engine atomically with the append; after another holder acquired the
     * lease, fails with {@link dev.polystore.lease.LeaseLostException} and writes nothing.
     */
    CompletableFuture<AppendResult> append(String stream, ExpectedRevision expected, List<NewEvent<T>> events,
                                           Lease fence);

    /** The most events one append may hold on this backend (48 with 100-operation transactions). */
    int maxEventsPerAppend();

    /**
     * One page of a stream.
     *
     * @param fromRevision the first revision to return (ascending) or the last (descending);
     *     {@link Long#MAX_VALUE} with {@link Direction#DESCENDING} reads from the end
     * @param limit 1 to 1000 events
     */
    CompletableFuture<EventPage<T>> read(String stream, long fromRevision, Direction direction, int limit);

    /**
     * Streams every event from {@code fromRevision} to the stream's end to {@code action}, in
     * revision order, one page at a time: the next page is read only after {@code action} returned
     * for every event of the previous one, so memory use is bounded by the page size whatever the
     * stream's length. If {@code action} throws, reading stops and the future fails with it.
     *
     * @return the number of events passed to {@code action}
     */
    CompletableFuture<Long> forEach(String stream, long fromRevision, Consumer<? super RecordedEvent<T>> action);

    /** The stream's summary (one item read), or empty if it has no event. */
    CompletableFuture<Optional<StreamAggregate>> aggregate(String stream);

    /**
     * Names of streams starting with {@code prefix}, in UTF-8 order, from index items written with
     * each stream's first append (no scan). A prefix containing {@code '-'} is read from its
     * category's index; any other prefix (including {@code ""}, every stream) from the index of all
     * streams.
     *
     * @param limit 1 to 1000
     * @param cursor from a previous page, or null
     */
    CompletableFuture<StreamPage> listStreams(String prefix, int limit, String cursor);

    /**
     * Starts a subscription; it runs until closed or dropped. See {@link Subscription}.
     */
    Subscription subscribe(String stream, SubscriptionOptions options, EventHandler<T> handler);

    /** The checkpoint store in this Storage that named subscriptions use by default. */
    CheckpointStore checkpoints();
}
