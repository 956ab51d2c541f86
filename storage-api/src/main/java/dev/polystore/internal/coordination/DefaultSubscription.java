package dev.polystore.internal.coordination;

import dev.polystore.Direction;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.event.CheckpointStore;
import dev.polystore.event.EventHandler;
import dev.polystore.event.RecordedEvent;
import dev.polystore.event.Subscription;
import dev.polystore.event.SubscriptionDroppedException;
import dev.polystore.event.SubscriptionListener;
import dev.polystore.event.SubscriptionOptions;
import dev.polystore.internal.Futures;
import dev.polystore.spi.ChangeNotifier;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The delivery loop of one subscription. One step runs at a time, on the executor: read a page
 * from {@code next}, hand its events to the handler one by one (the next only after the previous
 * one's stage completed normally: the acknowledgement), save the checkpoint (only ever a revision
 * already acknowledged), and when a page was not full (caught up) wait for the poll interval or a
 * wake-up from the backend's change notifier. A transient failure retries the failed step, from
 * the last acknowledged event, after a growing pause; anything else drops the subscription.
 */
final class DefaultSubscription<T> implements Subscription, Coordination.Participant {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultSubscription.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(50);

    private final EventLog log;
    private final String stream;
    private final SubscriptionOptions options;
    private final EventHandler<T> handler;
    private final Function<EventLog.RawEvent, RecordedEvent<T>> decoder;
    private final Executor executor;
    private final CheckpointStore checkpoints;
    private final String name;
    private final SubscriptionListener listener;
    private final CompletableFuture<Long> caughtUp = new CompletableFuture<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    private volatile boolean stopped;
    // guarded by this
    private long next;
    private long lastAcked = -1;
    private long lastSaved = -1;
    private int unsaved;
    private boolean isCaughtUp;
    private boolean waiting;
    private boolean wakeRequested;
    private ScheduledFuture<?> pollTask;
    private int failures;
    private ChangeNotifier.Registration registration;
    private CompletableFuture<Void> saving = CompletableFuture.completedFuture(null);

    DefaultSubscription(EventLog log, String stream, SubscriptionOptions options, EventHandler<T> handler,
                        Function<EventLog.RawEvent, RecordedEvent<T>> decoder) {
        this.log = log;
        this.stream = stream;
        this.options = options;
        this.handler = handler;
        this.decoder = decoder;
        this.executor = options.executor().orElseGet(() -> log.coordination().workers());
        this.name = options.name().orElse(null);
        this.checkpoints = name == null ? null : options.checkpoints().orElse(log.checkpoints());
        this.listener = options.listener();
    }

    void start() {
        log.coordination().register(this);
        log.notifier().ifPresent(n -> {
            ChangeNotifier.Registration r = n.listen(EventLog.TABLE, EventLog.pk(stream), this::wake);
            synchronized (this) {
                if (stopped) {
                    r.close();
                } else {
                    registration = r;
                }
            }
        });
        run(this::initialize);
    }

    @Override
    public String stream() {
        return stream;
    }

    @Override
    public Optional<String> name() {
        return Optional.ofNullable(name);
    }

    @Override
    public synchronized long lastAcknowledged() {
        return lastAcked;
    }

    @Override
    public synchronized boolean isCaughtUp() {
        return isCaughtUp && !stopped;
    }

    @Override
    public CompletableFuture<Long> caughtUp() {
        return caughtUp;
    }

    @Override
    public CompletableFuture<Void> done() {
        return done;
    }

    // ------------------------------------------------------------------ the loop

    private void run(Runnable step) {
        Coordination.run(executor, () -> {
            if (!stopped) {
                try {
                    step.run();
                } catch (RuntimeException e) {
                    drop("an internal step failed", e);
                }
            }
        });
    }

    private void initialize() {
        CompletableFuture<OptionalLong> loaded = checkpoints == null
                ? CompletableFuture.completedFuture(OptionalLong.empty()) : checkpoints.load(name, stream);
        loaded.whenComplete((cp, e) -> run(() -> {
            if (e != null) {
                retryOrDrop(e, "loading the checkpoint", this::initialize);
                return;
            }
            if (cp.isPresent()) {
                synchronized (this) {
                    next = cp.getAsLong() + 1;
                    lastAcked = cp.getAsLong();
                    lastSaved = cp.getAsLong();
                }
                poll();
            } else if (options.fromEnd()) {
                log.readHead(stream).whenComplete((head, e2) -> run(() -> {
                    if (e2 != null) {
                        retryOrDrop(e2, "reading the stream's end", this::initialize);
                        return;
                    }
                    synchronized (this) {
                        next = head.map(h -> h.state().count()).orElse(0L);
                    }
                    poll();
                }));
            } else {
                synchronized (this) {
                    next = options.from();
                }
                poll();
            }
        }));
    }

    private void poll() {
        long from;
        synchronized (this) {
            if (stopped) {
                return;
            }
            waiting = false;
            wakeRequested = false;
            from = next;
        }
        log.read(stream, from, Direction.ASCENDING, options.pageSize()).whenComplete((page, e) -> run(() -> {
            if (e != null) {
                retryOrDrop(e, "reading from revision " + from, this::poll);
                return;
            }
            synchronized (this) {
                failures = 0;
            }
            deliver(page, 0);
        }));
    }

    private void deliver(EventLog.RawPage page, int from) {
        for (int i = from; i < page.events().size(); i++) {
            if (stopped) {
                return;
            }
            EventLog.RawEvent raw = page.events().get(i);
            long expected;
            synchronized (this) {
                expected = next;
            }
            if (raw.revision() < expected) {
                continue;
            }
            if (raw.revision() > expected) {
                // Never skip: revisions are gapless, so read again from the one missing.
                retryOrDrop(new UnavailableException("revision " + expected + " of stream '" + stream
                        + "' was not read before " + raw.revision() + "; reading again", null), "delivering", this::poll);
                return;
            }
            RecordedEvent<T> event;
            try {
                event = decoder.apply(raw);
            } catch (RuntimeException e) {
                drop("event " + raw.revision() + " could not be decoded", e);
                return;
            }
            CompletableFuture<Object> acknowledged = new CompletableFuture<>();
            try {
                CompletionStage<?> stage = handler.handle(event);
                if (stage == null) {
                    throw new NullPointerException("the handler returned no stage for event " + raw.revision());
                }
                stage.whenComplete((v, e) -> {
                    if (e != null) {
                        acknowledged.completeExceptionally(e);
                    } else {
                        acknowledged.complete(v);
                    }
                });
            } catch (Exception e) {
                drop("the handler failed on event " + raw.revision(), e);
                return;
            }
            int index = i;
            if (!acknowledged.isDone()) {
                acknowledged.whenComplete((v, e) -> run(() -> afterHandler(page, index, raw.revision(), e)));
                return;
            }
            Throwable failed = acknowledged.isCompletedExceptionally()
                    ? acknowledged.handle((v, e) -> Futures.unwrap(e)).join() : null;
            if (failed != null) {
                drop("the handler failed on event " + raw.revision(), failed);
                return;
            }
            if (acked(raw.revision())) {
                saveThen(() -> deliver(page, index + 1));
                return;
            }
        }
        afterPage(page);
    }

    private void afterHandler(EventLog.RawPage page, int index, long revision, Throwable error) {
        if (error != null) {
            drop("the handler failed on event " + revision, Futures.unwrap(error));
            return;
        }
        if (acked(revision)) {
            saveThen(() -> deliver(page, index + 1));
        } else {
            deliver(page, index + 1);
        }
    }

    /** Records the acknowledgement; @return whether a checkpoint is due now. */
    private synchronized boolean acked(long revision) {
        lastAcked = revision;
        next = revision + 1;
        unsaved++;
        return checkpoints != null && unsaved >= options.checkpointEvery();
    }

    /** Saves the last acknowledged revision, then continues; transient failures retry the save. */
    private void saveThen(Runnable continuation) {
        long revision;
        boolean nothingToSave;
        synchronized (this) {
            revision = lastAcked;
            nothingToSave = checkpoints == null || revision <= lastSaved;
            if (nothingToSave) {
                unsaved = 0;
            }
        }
        if (nothingToSave) {
            continuation.run();
            return;
        }
        CompletableFuture<Void> save = checkpoints.save(name, stream, revision);
        synchronized (this) {
            saving = save;
        }
        save.whenComplete((v, e) -> run(() -> {
            if (e != null) {
                retryOrDrop(e, "saving checkpoint " + revision, () -> saveThen(continuation));
                return;
            }
            synchronized (this) {
                lastSaved = Math.max(lastSaved, revision);
                unsaved = 0;
                failures = 0;
            }
            continuation.run();
        }));
    }

    private void afterPage(EventLog.RawPage page) {
        if (page.full()) {
            synchronized (this) {
                isCaughtUp = false;
            }
            poll();
            return;
        }
        boolean due;
        synchronized (this) {
            due = checkpoints != null && lastAcked > lastSaved;
        }
        if (due) {
            saveThen(this::caughtUpNow);
        } else {
            caughtUpNow();
        }
    }

    private void caughtUpNow() {
        boolean report;
        long last;
        synchronized (this) {
            report = !isCaughtUp;
            isCaughtUp = true;
            last = next - 1;
        }
        if (report) {
            try {
                listener.onCaughtUp(last);
            } catch (RuntimeException e) {
                LOG.warn("A subscription listener failed in onCaughtUp", e);
            }
            caughtUp.complete(last);
        }
        idle();
    }

    private void idle() {
        synchronized (this) {
            if (stopped) {
                return;
            }
            if (wakeRequested) {
                wakeRequested = false;
            } else {
                waiting = true;
                pollTask = log.coordination().schedule(() -> run(this::pollIfWaiting), options.pollInterval());
                return;
            }
        }
        poll();
    }

    private void pollIfWaiting() {
        synchronized (this) {
            if (!waiting) {
                return;
            }
            waiting = false;
        }
        poll();
    }

    /** Called by the backend's change notifier: read now if idle, else right after the current page. */
    private void wake() {
        boolean pollNow = false;
        synchronized (this) {
            if (stopped) {
                return;
            }
            if (waiting) {
                waiting = false;
                if (pollTask != null) {
                    pollTask.cancel(false);
                }
                pollNow = true;
            } else {
                wakeRequested = true;
            }
        }
        if (pollNow) {
            run(this::poll);
        }
    }

    private void retryOrDrop(Throwable error, String what, Runnable retry) {
        Throwable cause = Futures.unwrap(error);
        boolean transientFailure = cause instanceof UnavailableException || cause instanceof OutcomeUnknownException;
        if (!transientFailure || log.coordination().closed()) {
            drop(what + " failed", cause);
            return;
        }
        int n;
        synchronized (this) {
            n = ++failures;
        }
        if (n > options.maxConsecutiveFailures()) {
            drop(what + " failed " + (n - 1) + " times in a row", cause);
            return;
        }
        long millis = FIRST_RETRY.toMillis() << Math.min(n - 1, 16);
        Duration delay = Duration.ofMillis(Math.min(millis, options.maxRetryDelay().toMillis()));
        try {
            listener.onRetry(cause, n, delay);
        } catch (RuntimeException e) {
            LOG.warn("A subscription listener failed in onRetry", e);
        }
        LOG.debug("Subscription to '{}': {} failed ({}), retrying in {}", stream, what, cause.getMessage(), delay);
        if (log.coordination().schedule(() -> run(retry), delay) == null) {
            drop(what + " failed and the Storage is closed", cause);
        }
    }

    // ------------------------------------------------------------------ stopping

    private void drop(String why, Throwable cause) {
        long acked;
        synchronized (this) {
            if (stopped) {
                return;
            }
            stopLocked();
            acked = lastAcked;
        }
        SubscriptionDroppedException e = new SubscriptionDroppedException("subscription " + describe() + " was dropped: "
                + why + (cause == null ? "" : " (" + cause.getMessage() + ")"), acked, cause);
        finalSave().whenComplete((v, x) -> {
            log.coordination().unregister(this);
            try {
                listener.onDropped(e);
            } catch (RuntimeException ex) {
                LOG.warn("A subscription listener failed in onDropped", ex);
            }
            caughtUp.completeExceptionally(e);
            done.completeExceptionally(e);
        });
    }

    @Override
    public void close() {
        synchronized (this) {
            if (stopped) {
                return;
            }
            stopLocked();
        }
        finalSave().whenComplete((v, x) -> {
            log.coordination().unregister(this);
            caughtUp.completeExceptionally(new SubscriptionDroppedException("subscription " + describe()
                    + " was closed before it caught up", lastAcknowledged(), null));
            done.complete(null);
        });
    }

    @Override
    public CompletableFuture<Void> stop() {
        close();
        return done.handle((v, e) -> null);
    }

    private void stopLocked() {
        stopped = true;
        waiting = false;
        if (pollTask != null) {
            pollTask.cancel(false);
        }
        if (registration != null) {
            registration.close();
            registration = null;
        }
    }

    /** Saves what was acknowledged and not yet saved, after any save in flight; never fails. */
    private CompletableFuture<Void> finalSave() {
        long revision;
        CompletableFuture<Void> before;
        synchronized (this) {
            if (checkpoints == null || lastAcked <= lastSaved) {
                return saving.handle((v, e) -> null);
            }
            revision = lastAcked;
            before = saving;
        }
        return before.handle((v, e) -> null)
                .thenCompose(v -> checkpoints.save(name, stream, revision))
                .handle((v, e) -> {
                    if (e != null) {
                        Throwable cause = Futures.unwrap(e);
                        LOG.warn("Subscription {} could not save its checkpoint {} when stopping ({}); events after "
                                + "the last saved one will be delivered again", describe(), revision,
                                cause instanceof StoreException ? cause.getMessage() : cause.toString());
                    } else {
                        synchronized (this) {
                            lastSaved = Math.max(lastSaved, revision);
                        }
                    }
                    return null;
                });
    }

    private String describe() {
        return (name == null ? "(unnamed)" : "'" + name + "'") + " to stream '" + stream + "'";
    }

    @Override
    public String toString() {
        return "Subscription " + describe();
    }
}
