package dev.polystore.internal.coordination;

import dev.polystore.UnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads and the life cycle leases and subscriptions share within one Storage: a timer
 * (one daemon thread, which only starts asynchronous work) and a pool of daemon worker threads
 * for handlers and callbacks, both created on first use. On close, every registered participant
 * is stopped (subscriptions save their checkpoint, leases stop renewing), then the threads end.
 */
public final class Coordination {
    private static final Logger LOG = LoggerFactory.getLogger(Coordination.class);
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    /** Something to stop when the Storage closes. */
    interface Participant {
        /** Stops; the future completes when it has finished what it still had to write. */
        CompletableFuture<Void> stop();
    }

    private final String name;
    private final int instance = INSTANCES.incrementAndGet();
    private final Set<Participant> participants = ConcurrentHashMap.newKeySet();
    private ScheduledThreadPoolExecutor timer;
    private ExecutorService workers;
    private volatile boolean closed;

    public Coordination(String name) {
        this.name = name;
    }

    boolean closed() {
        return closed;
    }

    synchronized ScheduledExecutorService timer() {
        if (timer == null) {
            timer = new ScheduledThreadPoolExecutor(1, daemon("polystore-" + name + "-timer-" + instance));
            timer.setRemoveOnCancelPolicy(true);
            if (closed) {
                timer.shutdown();
            }
        }
        return timer;
    }

    synchronized Executor workers() {
        if (workers == null) {
            workers = Executors.newCachedThreadPool(daemon("polystore-" + name + "-coordination-" + instance));
            if (closed) {
                workers.shutdown();
            }
        }
        return workers;
    }

    /** Runs {@code task} after {@code delay} on the timer; a closed timer runs nothing and returns null. */
    ScheduledFuture<?> schedule(Runnable task, Duration delay) {
        try {
            return timer().schedule(task, Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            return null;
        }
    }

    /** A future completing after {@code delay}; fails with UnavailableException once closed. */
    CompletableFuture<Void> delay(Duration delay) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (schedule(() -> f.complete(null), delay) == null) {
            f.completeExceptionally(new UnavailableException("the Storage is closed", null));
        }
        return f;
    }

    /** Runs {@code task} on {@code executor}, or here if it refuses (shut down). */
    static void run(Executor executor, Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            task.run();
        }
    }

    void register(Participant p) {
        participants.add(p);
        if (closed) {
            participants.remove(p);
            p.stop();
        }
    }

    void unregister(Participant p) {
        participants.remove(p);
    }

    /**
     * Stops every participant and waits up to {@code grace} for them to finish writing (a
     * subscription's last checkpoint), then ends the threads. Called by the Storage before it
     * closes its backend. Never throws.
     */
    public void close(Duration grace) {
        List<CompletableFuture<Void>> stopping = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (Participant p : List.copyOf(participants)) {
            try {
                stopping.add(p.stop());
            } catch (RuntimeException e) {
                LOG.warn("Stopping {} failed", p, e);
            }
        }
        participants.clear();
        if (!stopping.isEmpty()) {
            try {
                CompletableFuture.allOf(stopping.toArray(CompletableFuture[]::new))
                        .get(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.debug("Not every subscription finished its last checkpoint within {}", grace, e);
            }
        }
        synchronized (this) {
            if (timer != null) {
                timer.shutdownNow();
            }
            if (workers != null) {
                workers.shutdown();
            }
        }
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
