package dev.polystore.internal.coordination;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polystore.Capability;
import dev.polystore.Codec;
import dev.polystore.CodecException;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Direction;
import dev.polystore.Item;
import dev.polystore.JacksonCodec;
import dev.polystore.Key;
import dev.polystore.KeyRange;
import dev.polystore.Limits;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Page;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.StoreException;
import dev.polystore.Transaction;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import dev.polystore.event.AppendResult;
import dev.polystore.event.EventIdConflictException;
import dev.polystore.event.ExpectedRevision;
import dev.polystore.event.StreamAggregate;
import dev.polystore.event.StreamPage;
import dev.polystore.event.WrongExpectedRevisionException;
import dev.polystore.internal.Futures;
import dev.polystore.lease.LeaseLostException;
import dev.polystore.spi.ChangeNotifier;
import dev.polystore.spi.SortKeys;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * The event streams of one Storage, untyped (data are bytes); {@link DefaultEventStore} puts a
 * codec over it. Item layout (table {@value #TABLE}):
 * <pre>
 * pk ev#&lt;stream&gt;       sk h                  head: the aggregate ({@link HeadState}); version = appends
 * pk ev#&lt;stream&gt;       sk r#&lt;revision, 19 digits&gt;  an event ({@link EventEnvelope})
 * pk ev#&lt;stream&gt;       sk i#&lt;event id&gt;          the event id's revision (8 bytes): idempotency
 * pk evidx              sk &lt;stream&gt;            listing index of every stream (its creation time)
 * pk evidx#&lt;category&gt;  sk &lt;stream&gt;            listing index of the stream's category
 * pk evcp#&lt;subscription&gt; sk &lt;stream&gt;          a subscription's checkpoint (8 bytes)
 * </pre>
 * An append is one transaction: the head under "if version" (or "if absent" for a new stream),
 * each event and each id item under "if absent", and the two index items for a new stream.
 */
public final class EventLog {
    public static final String TABLE = "events";
    static final String HEAD_SK = "h";
    static final String EVENT_PREFIX = "r#";
    static final String ID_PREFIX = "i#";
    static final String ALL_INDEX = "evidx";
    static final String CHECKPOINT_PREFIX = "evcp#";
    /** Distinct event types a stream's aggregate counts at most (so the head item stays small). */
    static final int MAX_TYPES = 1000;
    /** Attempts of an append that keeps losing to concurrent appenders (expected revision "any"). */
    static final int CONFLICT_ATTEMPTS = 40;
    /** Attempts after a transaction whose answer was lost (each attempt is idempotent). */
    static final int UNKNOWN_ATTEMPTS = 4;
    /** Attempts after the engine refused a transaction (nothing was written). */
    static final int UNAVAILABLE_ATTEMPTS = 4;
    /** Streams whose head this Storage remembers, so that its next append skips the read. */
    static final int HEAD_CACHE = 4096;
    private static final String LAST_REVISION_SK = revisionSk(Long.MAX_VALUE);

    private final Storage storage;
    private final Clock clock;
    private final Coordination coordination;
    private final ChangeNotifier notifier;
    private final ObjectMapper mapper = JacksonCodec.defaultMapper();
    final Store<byte[]> items;
    private final Map<String, Head> heads = new ConcurrentHashMap<>();
    private final DefaultCheckpointStore checkpoints;
    private final int maxEvents;

    /** A stream's head item as read or as last written by this Storage. */
    record Head(long version, HeadState state) {
    }

    /** An event ready to be written: validated, its data encoded. */
    record Encoded(String id, String type, Map<String, String> metadata, byte[] data) {
    }

    /** An event as read: its revision and its decoded frame. */
    record RawEvent(String stream, long revision, EventEnvelope.Decoded frame) {
    }

    /** A page of raw events. */
    record RawPage(List<RawEvent> events, OptionalLong next, boolean full) {
    }

    public EventLog(Storage storage, Clock clock, Coordination coordination, ChangeNotifier notifier) {
        this.storage = Objects.requireNonNull(storage, "storage");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.coordination = Objects.requireNonNull(coordination, "coordination");
        this.notifier = notifier;
        this.items = storage.store(TABLE, Codec.bytes());
        this.checkpoints = new DefaultCheckpointStore(items);
        this.maxEvents = Math.max(0, (storage.capabilities().maxTransactionItems() - 4) / 2);
    }

    Coordination coordination() {
        return coordination;
    }

    Optional<ChangeNotifier> notifier() {
        return Optional.ofNullable(notifier);
    }

    DefaultCheckpointStore checkpoints() {
        return checkpoints;
    }

    Storage storage() {
        return storage;
    }

    int maxEventsPerAppend() {
        return maxEvents;
    }

    static String pk(String stream) {
        return "ev#" + stream;
    }

    static String revisionSk(long revision) {
        String digits = Long.toString(revision);
        return EVENT_PREFIX + "0".repeat(19 - digits.length()) + digits;
    }

    static long revisionOf(String sk) {
        return Long.parseLong(sk.substring(EVENT_PREFIX.length()));
    }

    static String category(String stream) {
        int dash = stream.indexOf('-');
        return dash < 0 ? stream : stream.substring(0, dash);
    }

    static String categoryIndex(String category) {
        return ALL_INDEX + "#" + category;
    }

    static Key headKey(String stream) {
        return Key.of(pk(stream), HEAD_SK);
    }

    // ------------------------------------------------------------------ append

    /** The state of one append call across its attempts. */
    private static final class Call {
        final String stream;
        final ExpectedRevision expected;
        final List<Encoded> events;
        final DefaultLease fence;
        int conflicts;
        int unknowns;
        int unavailables;

        Call(String stream, ExpectedRevision expected, List<Encoded> events, DefaultLease fence) {
            this.stream = stream;
            this.expected = expected;
            this.events = events;
            this.fence = fence;
        }

        String what() {
            return "append of " + events.size() + " event" + (events.size() == 1 ? "" : "s") + " to stream '" + stream + "'";
        }
    }

    /** What one attempt writes. */
    private record Plan(Transaction tx, HeadState next, long first, long last, int firstIdOp) {
    }

    CompletableFuture<AppendResult> append(String stream, ExpectedRevision expected, List<Encoded> events,
                                           DefaultLease fence) {
        try {
            Names.requireName("stream name", stream);
            Objects.requireNonNull(expected, "expected revision");
            Objects.requireNonNull(events, "events");
            checkEvents(stream, events, fence);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return attempt(new Call(stream, expected, List.copyOf(events), fence), true);
    }

    private void checkEvents(String stream, List<Encoded> events, DefaultLease fence) {
        if (!storage.capabilities().has(Capability.TRANSACTIONS)) {
            throw new dev.polystore.UnsupportedCapabilityException(storage.backend(), Capability.TRANSACTIONS);
        }
        if (events.isEmpty()) {
            throw new ValidationException("an append needs at least one event");
        }
        if (events.size() > maxEvents) {
            int ops = 2 * events.size() + 3 + (fence == null ? 0 : 1);
            throw new ValidationException("append of " + events.size() + " events to stream '" + stream + "' needs up to "
                    + ops + " operations in one transaction (2 per event, the stream's head, 2 index items for a new "
                    + "stream, 1 lease check); backend '" + storage.backend() + "' allows "
                    + storage.capabilities().maxTransactionItems() + ": append at most " + maxEvents
                    + " events at once (appends of one stream are atomic each, not together)");
        }
        Set<String> ids = new HashSet<>();
        int pkBytes = SortKeys.utf8Length(pk(stream));
        for (Encoded e : events) {
            Names.requireEventId(e.id());
            if (!ids.add(e.id())) {
                throw new ValidationException("event id '" + e.id() + "' appears twice in one append to stream '"
                        + stream + "'; ids must be distinct");
            }
            long size = Limits.itemSize(pkBytes, EVENT_PREFIX.length() + 19,
                    EventEnvelope.encode(e.id(), e.type(), e.metadata(), 0, e.data()).length);
            if (size > Limits.MAX_ITEM_BYTES) {
                throw new ValidationException("event '" + e.id() + "' of stream '" + stream + "' is " + size
                        + " bytes encoded (data, id, type, metadata and keys); the portable limit is "
                        + Limits.MAX_ITEM_BYTES + " bytes: store large data elsewhere and keep a reference");
            }
        }
    }

    private CompletableFuture<AppendResult> attempt(Call call, boolean useCache) {
        Head cached = useCache ? heads.get(call.stream) : null;
        CompletableFuture<Optional<Head>> read = cached != null
                ? CompletableFuture.completedFuture(Optional.of(cached)) : readHead(call.stream);
        return read.thenCompose(head -> {
            long current = head.map(h -> h.state().lastRevision()).orElse(-1L);
            if (!call.expected.matches(current)) {
                if (cached != null) {
                    return attempt(call, false); // what we remembered may be stale
                }
                return replay(call, current, true);
            }
            Plan plan;
            try {
                plan = plan(call, head.orElse(null), current);
            } catch (StoreException e) {
                return CompletableFuture.<AppendResult>failedFuture(e);
            }
            return plan.tx().commit().handle((versions, e) -> {
                if (e == null) {
                    remember(call.stream, new Head(versions.get(0), plan.next()));
                    return CompletableFuture.completedFuture(new AppendResult(call.stream, plan.first(), plan.last(),
                            false));
                }
                heads.remove(call.stream);
                return afterFailure(call, current, plan, Futures.unwrap(e));
            }).thenCompose(f -> f);
        });
    }

    private CompletableFuture<AppendResult> afterFailure(Call call, long current, Plan plan, Throwable cause) {
        if (cause instanceof LeaseLostException) {
            return CompletableFuture.failedFuture(cause);
        }
        if (cause instanceof ConditionFailedException cf) {
            int index = cf.operationIndex().orElse(-1);
            int ids = call.events.size();
            if (index < 0 || (index >= plan.firstIdOp() && index < plan.firstIdOp() + ids)) {
                // An id is already there (or the engine did not say what failed): a retry, a clash, or neither.
                return replay(call, current, false);
            }
            return afterConflict(call);
        }
        if (cause instanceof OutcomeUnknownException) {
            if (++call.unknowns >= UNKNOWN_ATTEMPTS) {
                return CompletableFuture.failedFuture(outcomeUnknown(call, cause));
            }
            // Did it apply? Its ids say so (all or none: one transaction); if not, write again.
            return readIds(call.stream, call.events).handle((found, readError) -> {
                if (readError != null || found.isEmpty()) {
                    return attempt(call, false);
                }
                return replay(call, current, false);
            }).thenCompose(f -> f);
        }
        if (cause instanceof UnavailableException && ++call.unavailables < UNAVAILABLE_ATTEMPTS) {
            return pause(call.unavailables).thenCompose(v -> attempt(call, false));
        }
        return CompletableFuture.failedFuture(cause);
    }

    private static OutcomeUnknownException outcomeUnknown(Call call, Throwable cause) {
        return new OutcomeUnknownException(call.what() + " may or may not have been applied (" + cause.getMessage()
                + "); append the same events again (same ids, same expected revision): an append already applied is "
                + "answered with its revisions and not written twice", headKey(call.stream), cause);
    }

    private CompletableFuture<AppendResult> afterConflict(Call call) {
        if (++call.conflicts >= CONFLICT_ATTEMPTS) {
            return CompletableFuture.failedFuture(new UnavailableException(call.what() + " lost to concurrent appenders "
                    + call.conflicts + " times in a row; nothing was written, try again", null));
        }
        return pause(call.conflicts).thenCompose(v -> attempt(call, false));
    }

    private CompletableFuture<Void> pause(int n) {
        long micros = ThreadLocalRandom.current().nextLong(100, 200L * Math.min(n, 20) + 101);
        return coordination.delay(Duration.ofNanos(micros * 1000));
    }

    /**
     * The stream did not match the expectation, or an id was already there: answers with the
     * original revisions if every id is there as one earlier append at this append's position,
     * otherwise fails with the error that explains it.
     */
    private CompletableFuture<AppendResult> replay(Call call, long current, boolean mismatch) {
        return readIds(call.stream, call.events).thenCompose(found -> {
            int k = call.events.size();
            if (found.size() == k) {
                long first = found.get(call.events.get(0).id());
                boolean consecutive = true;
                for (int i = 1; i < k; i++) {
                    consecutive &= found.get(call.events.get(i).id()) == first + i;
                }
                if (consecutive && positionFits(call.expected, first)) {
                    return CompletableFuture.completedFuture(new AppendResult(call.stream, first, first + k - 1,
                            call.unknowns == 0));
                }
            }
            if (mismatch) {
                return CompletableFuture.failedFuture(new WrongExpectedRevisionException(call.stream, call.expected,
                        current, headKey(call.stream)));
            }
            if (found.isEmpty()) {
                return afterConflict(call);
            }
            return CompletableFuture.failedFuture(new EventIdConflictException("append to stream '" + call.stream
                    + "': event ids " + found + " are already in the stream (id → revision), but not as the " + k
                    + " events of one earlier append " + (call.expected.kind() == ExpectedRevision.Kind.ANY
                    ? "" : "at the position " + call.expected + " implies") + "; nothing was written", found,
                    headKey(call.stream)));
        });
    }

    private static boolean positionFits(ExpectedRevision expected, long first) {
        return switch (expected.kind()) {
            case ANY -> true;
            case NO_STREAM -> first == 0;
            case STREAM_EXISTS -> first > 0;
            case EXACT -> first == expected.revision() + 1;
        };
    }

    private Plan plan(Call call, Head head, long current) {
        String pk = pk(call.stream);
        int k = call.events.size();
        long first = current + 1;
        long now = clock.millis();
        long at = head == null ? now : Math.max(now, head.state().lastAt());
        Map<String, Long> types = head == null ? new TreeMap<>() : new TreeMap<>(head.state().types());
        for (Encoded e : call.events) {
            types.merge(e.type(), 1L, Long::sum);
        }
        if (types.size() > MAX_TYPES) {
            throw new ValidationException("stream '" + call.stream + "' would have " + types.size() + " distinct event "
                    + "types; its aggregate counts at most " + MAX_TYPES + ": use fewer types (put variety in the data)");
        }
        HeadState next = new HeadState(call.stream, current + 1 + k, head == null ? at : head.state().firstAt(), at,
                types);
        Transaction tx = call.fence != null ? call.fence.transaction() : storage.transaction();
        List<Item<byte[]>> written = new ArrayList<>(2 * k + 3);
        Item<byte[]> headItem = Item.of(pk, HEAD_SK, encodeHead(next));
        tx.put(items, headItem, head == null ? Condition.ifAbsent() : Condition.ifVersion(head.version()));
        written.add(headItem);
        for (int i = 0; i < k; i++) {
            Encoded e = call.events.get(i);
            Item<byte[]> item = Item.of(pk, revisionSk(first + i),
                    EventEnvelope.encode(e.id(), e.type(), e.metadata(), at, e.data()));
            tx.put(items, item, Condition.ifAbsent());
            written.add(item);
        }
        for (int i = 0; i < k; i++) {
            Item<byte[]> item = Item.of(pk, ID_PREFIX + call.events.get(i).id(), EventEnvelope.longBytes(first + i));
            tx.put(items, item, Condition.ifAbsent());
            written.add(item);
        }
        if (head == null) {
            byte[] created = EventEnvelope.longBytes(at);
            Item<byte[]> all = Item.of(ALL_INDEX, call.stream, created);
            Item<byte[]> byCategory = Item.of(categoryIndex(category(call.stream)), call.stream, created);
            tx.put(items, all, Condition.ifAbsent()).put(items, byCategory, Condition.ifAbsent());
            written.add(all);
            written.add(byCategory);
        }
        long bytes = call.fence == null ? 0 : Limits.itemSize(SortKeys.utf8Length(DefaultLeases.pk(call.fence.name())), 1, 0);
        for (Item<byte[]> item : written) {
            bytes += Limits.itemSize(SortKeys.utf8Length(item.pk()), SortKeys.utf8Length(item.sk()), item.value().length);
        }
        long max = storage.capabilities().maxTransactionBytes();
        if (bytes > max) {
            throw new ValidationException(call.what() + " is " + bytes + " bytes in one transaction (events, their ids, "
                    + "the stream's head); backend '" + storage.backend() + "' allows " + max
                    + ": append fewer or smaller events at once");
        }
        return new Plan(tx, next, first, first + k - 1, 1 + k);
    }

    private void remember(String stream, Head head) {
        if (heads.size() >= HEAD_CACHE) {
            heads.clear();
        }
        heads.put(stream, head);
    }

    /** The ids of {@code events} already in the stream, with their revisions. */
    private CompletableFuture<Map<String, Long>> readIds(String stream, List<Encoded> events) {
        List<Key> keys = events.stream().map(e -> Key.of(pk(stream), ID_PREFIX + e.id())).toList();
        CompletableFuture<List<Item<byte[]>>> found;
        if (storage.capabilities().has(Capability.BATCH)) {
            found = items.batchGet(keys).thenApply(m -> new ArrayList<>(m.values()));
        } else {
            List<CompletableFuture<Optional<Item<byte[]>>>> gets = keys.stream().map(items::get).toList();
            found = CompletableFuture.allOf(gets.toArray(CompletableFuture[]::new))
                    .thenApply(v -> gets.stream().map(CompletableFuture::join).flatMap(Optional::stream).toList());
        }
        return found.thenApply(list -> {
            Map<String, Long> out = new LinkedHashMap<>();
            Map<String, Long> byId = new HashMap<>();
            for (Item<byte[]> item : list) {
                byId.put(item.sk().substring(ID_PREFIX.length()), EventEnvelope.readLong(item.value(), "id item " + item.key()));
            }
            for (Encoded e : events) {
                Long r = byId.get(e.id());
                if (r != null) {
                    out.put(e.id(), r);
                }
            }
            return out;
        });
    }

    // ------------------------------------------------------------------ reads

    CompletableFuture<Optional<Head>> readHead(String stream) {
        return items.get(pk(stream), HEAD_SK).thenApply(found -> found.map(item -> new Head(item.version(),
                decodeHead(item))));
    }

    CompletableFuture<Optional<StreamAggregate>> aggregate(String stream) {
        try {
            Names.requireName("stream name", stream);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return readHead(stream).thenApply(head -> head.map(h -> {
            HeadState s = h.state();
            return new StreamAggregate(stream, s.count(), 0, s.lastRevision(), Instant.ofEpochMilli(s.firstAt()),
                    Instant.ofEpochMilli(s.lastAt()), s.types(), h.version());
        }));
    }

    CompletableFuture<RawPage> read(String stream, long from, Direction direction, int limit) {
        Query q;
        try {
            Names.requireName("stream name", stream);
            Objects.requireNonNull(direction, "direction");
            if (from < 0) {
                throw new ValidationException("fromRevision must be 0 or more, got " + from);
            }
            q = eventQuery(stream, from, direction).limit(limit);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return items.query(q).thenApply(page -> toRawPage(stream, page, direction));
    }

    private static Query eventQuery(String stream, long from, Direction direction) {
        KeyRange range = direction == Direction.ASCENDING ? KeyRange.between(revisionSk(from), LAST_REVISION_SK)
                : KeyRange.between(revisionSk(0), revisionSk(from));
        return Query.partition(pk(stream)).range(range).direction(direction);
    }

    private RawPage toRawPage(String stream, Page<byte[]> page, Direction direction) {
        List<RawEvent> events = new ArrayList<>(page.items().size());
        for (Item<byte[]> item : page.items()) {
            events.add(decodeEvent(stream, item));
        }
        OptionalLong next = OptionalLong.empty();
        if (page.hasMore() && !events.isEmpty()) {
            long last = events.get(events.size() - 1).revision();
            if (direction == Direction.ASCENDING) {
                next = OptionalLong.of(last + 1);
            } else if (last > 0) {
                next = OptionalLong.of(last - 1);
            }
        }
        return new RawPage(events, next, page.hasMore());
    }

    CompletableFuture<Long> forEach(String stream, long from, Consumer<RawEvent> action) {
        Query q;
        try {
            Names.requireName("stream name", stream);
            Objects.requireNonNull(action, "action");
            if (from < 0) {
                throw new ValidationException("fromRevision must be 0 or more, got " + from);
            }
            q = eventQuery(stream, from, Direction.ASCENDING).limit(Limits.MAX_PAGE_SIZE);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return items.forEach(q, item -> action.accept(decodeEvent(stream, item)));
    }

    RawEvent decodeEvent(String stream, Item<byte[]> item) {
        long revision = revisionOf(item.sk());
        return new RawEvent(stream, revision, EventEnvelope.decode(item.value(), "'" + stream + "'@" + revision));
    }

    CompletableFuture<StreamPage> listStreams(String prefix, int limit, String cursor) {
        Query q;
        try {
            Objects.requireNonNull(prefix, "prefix");
            if (!prefix.isEmpty()) {
                SortKeys.utf8Length(prefix, "stream prefix");
            }
            String partition = prefix.indexOf('-') >= 0 ? categoryIndex(category(prefix)) : ALL_INDEX;
            q = Query.partition(partition).prefix(prefix).limit(limit).after(cursor);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return items.query(q).thenApply(page -> new StreamPage(page.items().stream().map(Item::sk).toList(),
                page.cursor()));
    }

    // ------------------------------------------------------------------ codec of the head

    private byte[] encodeHead(HeadState state) {
        try {
            return mapper.writeValueAsBytes(state);
        } catch (IOException e) {
            throw new CodecException("cannot encode the head of stream '" + state.stream() + "': " + e.getMessage(), e);
        }
    }

    private HeadState decodeHead(Item<byte[]> item) {
        try {
            return mapper.readValue(item.value(), HeadState.class);
        } catch (IOException e) {
            throw new CodecException("cannot decode the head item " + item.key() + " of store '" + TABLE + "': "
                    + e.getMessage(), e);
        }
    }
}
