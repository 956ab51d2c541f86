package dev.polystore.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Peak heap use over a stretch of work, two ways: the largest heap-used value sampled every
 * 2 ms (what was really live plus garbage not yet collected at that moment), and the sum of the
 * heap pools' own peak usages since the start (an upper bound: pools peak at different times).
 */
public final class HeapWatch implements AutoCloseable {
    private final List<MemoryPoolMXBean> pools;
    private final ScheduledExecutorService sampler;
    private final ScheduledFuture<?> task;
    private final AtomicLong maxSampled = new AtomicLong();

    public HeapWatch() {
        System.gc();
        pools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP && p.isValid()).toList();
        pools.forEach(MemoryPoolMXBean::resetPeakUsage);
        sampler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "heap-watch");
            t.setDaemon(true);
            return t;
        });
        task = sampler.scheduleAtFixedRate(this::sample, 0, 2, TimeUnit.MILLISECONDS);
    }

    private void sample() {
        long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        maxSampled.accumulateAndGet(used, Math::max);
    }

    /** Largest sampled heap use so far, in bytes. */
    public long peakSampled() {
        sample();
        return maxSampled.get();
    }

    /** Sum of the heap pools' peak usages since start, in bytes. */
    public long peakPools() {
        long sum = 0;
        for (MemoryPoolMXBean p : pools) {
            sum += p.getPeakUsage().getUsed();
        }
        return sum;
    }

    /** The heap's maximum size (-Xmx), in bytes. */
    public static long maxHeap() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax();
    }

    public static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    @Override
    public void close() {
        task.cancel(false);
        sampler.shutdownNow();
    }
}
