package dev.polystore.internal.coordination;

import dev.polystore.Codec;
import dev.polystore.CodecException;
import dev.polystore.Direction;
import dev.polystore.StoreException;
import dev.polystore.ValidationException;
import dev.polystore.event.AppendResult;
import dev.polystore.event.CheckpointStore;
import dev.polystore.event.EventHandler;
import dev.polystore.event.EventPage;
import dev.polystore.event.EventStore;
import dev.polystore.event.ExpectedRevision;
import dev.polystore.event.NewEvent;
import dev.polystore.event.RecordedEvent;
import dev.polystore.event.StreamAggregate;
import dev.polystore.event.StreamPage;
import dev.polystore.event.Subscription;
import dev.polystore.event.SubscriptionOptions;
import dev.polystore.lease.Lease;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** A typed view of the Storage's {@link EventLog}: encodes and decodes event data with a codec. */
public final class DefaultEventStore<T> implements EventStore<T> {
    private final EventLog log;
    private final Codec<T> codec;

    public DefaultEventStore(EventLog log, Codec<T> codec) {
        this.log = Objects.requireNonNull(log, "log");
        this.codec = Objects.requireNonNull(codec, "codec");
    }

    @Override
    public CompletableFuture<AppendResult> append(String stream, ExpectedRevision expected, List<NewEvent<T>> events) {
        return append(stream, expected, events, null);
    }

    @Override
    public CompletableFuture<AppendResult> append(String stream, ExpectedRevision expected, List<NewEvent<T>> events,
                                                  Lease fence) {
        List<EventLog.Encoded> encoded;
        DefaultLease lease;
        try {
            Objects.requireNonNull(events, "events");
            if (fence != null && !(fence instanceof DefaultLease)) {
                throw new ValidationException("the fence must be a lease from Storage.leases(), got " + fence);
            }
            lease = (DefaultLease) fence;
            encoded = new ArrayList<>(events.size());
            for (NewEvent<T> e : events) {
                Objects.requireNonNull(e, "event");
                encoded.add(new EventLog.Encoded(e.id(), e.type(), e.metadata(), encode(e.data())));
            }
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return log.append(stream, expected, encoded, lease);
    }

    @Override
    public int maxEventsPerAppend() {
        return log.maxEventsPerAppend();
    }

    @Override
    public CompletableFuture<EventPage<T>> read(String stream, long fromRevision, Direction direction, int limit) {
        return log.read(stream, fromRevision, direction, limit).thenApply(page -> {
            List<RecordedEvent<T>> events = new ArrayList<>(page.events().size());
            for (EventLog.RawEvent raw : page.events()) {
                events.add(decode(raw));
            }
            return new EventPage<>(events, page.next());
        });
    }

    @Override
    public CompletableFuture<Long> forEach(String stream, long fromRevision, Consumer<? super RecordedEvent<T>> action) {
        Objects.requireNonNull(action, "action");
        return log.forEach(stream, fromRevision, raw -> action.accept(decode(raw)));
    }

    @Override
    public CompletableFuture<Optional<StreamAggregate>> aggregate(String stream) {
        return log.aggregate(stream);
    }

    @Override
    public CompletableFuture<StreamPage> listStreams(String prefix, int limit, String cursor) {
        return log.listStreams(prefix, limit, cursor);
    }

    @Override
    public Subscription subscribe(String stream, SubscriptionOptions options, EventHandler<T> handler) {
        Names.requireName("stream name", stream);
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(handler, "handler");
        DefaultSubscription<T> s = new DefaultSubscription<>(log, stream, options, handler, this::decode);
        s.start();
        return s;
    }

    @Override
    public CheckpointStore checkpoints() {
        return log.checkpoints();
    }

    private byte[] encode(T value) {
        try {
            byte[] bytes = codec.encode(value);
            if (bytes == null) {
                throw new CodecException("codec " + codec.getClass().getName() + " encoded event data as null", null);
            }
            return bytes;
        } catch (StoreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CodecException("codec " + codec.getClass().getName() + " could not encode event data of type "
                    + value.getClass().getName() + ": " + e.getMessage(), e);
        }
    }

    RecordedEvent<T> decode(EventLog.RawEvent raw) {
        T data;
        try {
            data = codec.decode(raw.frame().data());
        } catch (StoreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CodecException("codec " + codec.getClass().getName() + " could not decode event "
                    + raw.revision() + " of stream '" + raw.stream() + "': " + e.getMessage(), e);
        }
        EventEnvelope.Decoded f = raw.frame();
        return new RecordedEvent<>(raw.stream(), raw.revision(), f.id(), f.type(), data, f.metadata(),
                Instant.ofEpochMilli(f.recordedAt()));
    }
}
