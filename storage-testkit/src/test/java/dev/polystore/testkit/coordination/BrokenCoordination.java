package dev.polystore.testkit.coordination;

import dev.polystore.Capabilities;
import dev.polystore.Codec;
import dev.polystore.ConditionFailedException;
import dev.polystore.DialogueStore;
import dev.polystore.DocumentStore;
import dev.polystore.Health;
import dev.polystore.Storage;
import dev.polystore.StoreFactory;
import dev.polystore.Store;
import dev.polystore.StoreOptions;
import dev.polystore.Transaction;
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
import dev.polystore.Condition;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.lease.Lease;
import dev.polystore.lease.LeaseInfo;
import dev.polystore.lease.LeaseLoss;
import dev.polystore.lease.LeaseOptions;
import dev.polystore.lease.Leases;
import dev.polystore.memory.MemoryBackend;
import dev.polystore.spi.ChangeNotifier;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.WriteOp;
import dev.polystore.Direction;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/** Deliberately broken backends and storages the coordination contracts must catch. */
final class BrokenCoordination {
    private BrokenCoordination() {
    }

    /** Transactions drop their checks: fenced writes are never fenced. */
    static Storage ignoringFences(Clock clock) {
        return StoreFactory.open(new ForwardingStorageBackend(new MemoryBackend(clock)) {
            @Override
            public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
                List<WriteOp> kept = operations.stream().filter(op -> !(op instanceof WriteOp.Check)).toList();
                return delegate.transact(kept).thenApply(versions -> {
                    List<Long> out = new ArrayList<>();
                    int k = 0;
                    for (WriteOp op : operations) {
                        out.add(op instanceof WriteOp.Check ? 0L : versions.get(k++));
                    }
                    return out;
                });
            }
        }, clock);
    }

    /**
     * Transactions apply operations one by one and stop at the first failed condition without
     * undoing the earlier ones: not atomic.
     */
    static Storage nonAtomic(Clock clock) {
        MemoryBackend memory = new MemoryBackend(clock);
        return StoreFactory.open(new ForwardingStorageBackend(memory) {
            @Override
            public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
                List<Long> versions = new ArrayList<>();
                for (int i = 0; i < operations.size(); i++) {
                    WriteOp op = operations.get(i);
                    CompletableFuture<List<Long>> one = delegate.transact(List.of(op));
                    try {
                        versions.add(one.join().get(0));
                    } catch (RuntimeException e) {
                        Throwable cause = LeaseContract.rootCause(e);
                        if (cause instanceof ConditionFailedException cf) {
                            return CompletableFuture.failedFuture(new ConditionFailedException(cf.getMessage(),
                                    cf.key().orElse(null), i, null));
                        }
                        return CompletableFuture.failedFuture(cause);
                    }
                }
                return CompletableFuture.completedFuture(versions);
            }
        }, clock);
    }

    /** Declares CHANGE_NOTIFICATIONS, and its notifier never calls anyone. */
    static Storage silentNotifier(Clock clock) {
        return StoreFactory.open(new ForwardingStorageBackend(new MemoryBackend(clock)) {
            @Override
            public Optional<ChangeNotifier> changeNotifier() {
                return Optional.of((table, pk, listener) -> () -> { });
            }
        }, clock);
    }

    /**
     * A storage whose subscriptions acknowledge each event as soon as it arrives, and only then
     * hand it to the application's handler: the checkpoint can move past an event the
     * application never finished (EventStoreDB's early checkpoint).
     */
    static Storage checkpointingBeforeAcknowledgement(Clock clock) {
        return new EarlyAck(StoreFactory.open(new MemoryBackend(clock), clock));
    }

    private static final class EarlyAck extends ForwardingStorage {
        EarlyAck(Storage inner) {
            super(inner);
        }

        @Override
        public <T> EventStore<T> events(Codec<T> codec) {
            EventStore<T> real = inner.events(codec);
            return new EventStore<>() {
                @Override
                public CompletableFuture<AppendResult> append(String stream, ExpectedRevision expected,
                                                              List<NewEvent<T>> events) {
                    return real.append(stream, expected, events);
                }

                @Override
                public CompletableFuture<AppendResult> append(String stream, ExpectedRevision expected,
                                                              List<NewEvent<T>> events, Lease fence) {
                    return real.append(stream, expected, events, fence);
                }

                @Override
                public int maxEventsPerAppend() {
                    return real.maxEventsPerAppend();
                }

                @Override
                public CompletableFuture<EventPage<T>> read(String stream, long from, Direction direction, int limit) {
                    return real.read(stream, from, direction, limit);
                }

                @Override
                public CompletableFuture<Long> forEach(String stream, long from, Consumer<? super RecordedEvent<T>> action) {
                    return real.forEach(stream, from, action);
                }

                @Override
                public CompletableFuture<Optional<StreamAggregate>> aggregate(String stream) {
                    return real.aggregate(stream);
                }

                @Override
                public CompletableFuture<StreamPage> listStreams(String prefix, int limit, String cursor) {
                    return real.listStreams(prefix, limit, cursor);
                }

                @Override
                public Subscription subscribe(String stream, SubscriptionOptions options, EventHandler<T> handler) {
                    // One worker per subscription keeps the handler's calls in revision order; each call
                    // is acknowledged at once, so the checkpoint runs ahead of the application.
                    ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
                        Thread t = new Thread(r, "early-ack-" + stream);
                        t.setDaemon(true);
                        return t;
                    });
                    Subscription sub = real.subscribe(stream, options, event -> {
                        worker.execute(() -> {
                            try {
                                Thread.sleep(2);
                                handler.handle(event).toCompletableFuture().get(); // interruptible: the worker stops with the subscription
                            } catch (Exception e) {
                                // The broken design never learns about the handler's failures.
                            }
                        });
                        return CompletableFuture.completedFuture(null);
                    });
                    sub.done().whenComplete((v, e) -> worker.shutdownNow());
                    return sub;
                }

                @Override
                public CheckpointStore checkpoints() {
                    return real.checkpoints();
                }
            };
        }
    }

    /**
     * A storage whose leases take their tokens from a counter of each Leases instance (a
     * process-local sequence, as when the holder numbers its own acquisitions): tokens reset
     * when a process restarts, so an old holder's token can equal or exceed a newer one's.
     */
    static Storage localTokens(Clock clock) {
        return new LocalTokens(StoreFactory.open(new MemoryBackend(clock), clock));
    }

    private static final class LocalTokens extends ForwardingStorage {
        LocalTokens(Storage inner) {
            super(inner);
        }

        @Override
        public Leases leases() {
            return leases(LeaseOptions.defaults());
        }

        @Override
        public Leases leases(LeaseOptions options) {
            Leases real = inner.leases(options);
            AtomicLong counter = new AtomicLong();
            return new Leases() {
                @Override
                public CompletableFuture<Optional<Lease>> tryAcquire(String name, Duration ttl) {
                    return real.tryAcquire(name, ttl).thenApply(l -> l.map(x -> local(x, counter.incrementAndGet())));
                }

                @Override
                public CompletableFuture<Lease> acquire(String name, Duration ttl, Duration timeout) {
                    return real.acquire(name, ttl, timeout).thenApply(x -> local(x, counter.incrementAndGet()));
                }

                @Override
                public CompletableFuture<Optional<LeaseInfo>> describe(String name) {
                    return real.describe(name);
                }

                @Override
                public LeaseOptions options() {
                    return real.options();
                }
            };
        }

        private static Lease local(Lease real, long token) {
            return new Lease() {
                @Override
                public String name() {
                    return real.name();
                }

                @Override
                public String owner() {
                    return real.owner();
                }

                @Override
                public long token() {
                    return token;
                }

                @Override
                public Duration ttl() {
                    return real.ttl();
                }

                @Override
                public boolean isValid() {
                    return real.isValid();
                }

                @Override
                public Duration remaining() {
                    return real.remaining();
                }

                @Override
                public CompletableFuture<Lease> renew() {
                    Lease self = this;
                    return real.renew().thenApply(x -> self);
                }

                @Override
                public CompletableFuture<Boolean> release() {
                    return real.release();
                }

                @Override
                public CompletableFuture<LeaseLoss> lost() {
                    return real.lost();
                }

                @Override
                public Transaction transaction() {
                    return real.transaction();
                }

                @Override
                public <T> CompletableFuture<Item<T>> put(Store<T> store, Item<T> item, Condition condition) {
                    return real.put(store, item, condition);
                }

                @Override
                public CompletableFuture<Void> delete(Store<?> store, Key key, Condition condition) {
                    return real.delete(store, key, condition);
                }
            };
        }
    }

    /** Delegates every call to another storage; subclasses break one part. */
    private abstract static class ForwardingStorage implements Storage {
        final Storage inner;

        ForwardingStorage(Storage inner) {
            this.inner = inner;
        }

        @Override
        public <T> EventStore<T> events(Codec<T> codec) {
            return inner.events(codec);
        }

        @Override
        public String backend() {
            return inner.backend();
        }

        @Override
        public <T> Store<T> store(String name, Class<T> type) {
            return inner.store(name, type);
        }

        @Override
        public <T> Store<T> store(String name, Codec<T> codec) {
            return inner.store(name, codec);
        }

        @Override
        public <T> Store<T> store(String name, Class<T> type, StoreOptions<T> options) {
            return inner.store(name, type, options);
        }

        @Override
        public <T> Store<T> store(String name, Codec<T> codec, StoreOptions<T> options) {
            return inner.store(name, codec, options);
        }

        @Override
        public <T> T unwrap(Class<T> type) {
            return inner.unwrap(type);
        }

        @Override
        public Transaction transaction() {
            return inner.transaction();
        }

        @Override
        public DialogueStore dialogues() {
            return inner.dialogues();
        }

        @Override
        public DocumentStore documents() {
            return inner.documents();
        }

        @Override
        public Leases leases() {
            return inner.leases();
        }

        @Override
        public Leases leases(LeaseOptions options) {
            return inner.leases(options);
        }

        @Override
        public Capabilities capabilities() {
            return inner.capabilities();
        }

        @Override
        public CompletableFuture<Health> health() {
            return inner.health();
        }

        @Override
        public void close() {
            inner.close();
        }
    }
}
