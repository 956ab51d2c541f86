package dev.polystore.cli;

/**
 * Paces writes to at most a number of items per second over all threads (a simple schedule of
 * permits on the monotonic clock); 0 means no limit. Thread-safe.
 */
final class RateLimit {
    private final double perSecond;
    private long nextFreeNanos = System.nanoTime();

    RateLimit(double perSecond) {
        this.perSecond = perSecond;
    }

    void acquire(int items) {
        if (perSecond <= 0 || items <= 0) {
            return;
        }
        long waitUntil;
        synchronized (this) {
            long now = System.nanoTime();
            waitUntil = Math.max(now, nextFreeNanos);
            nextFreeNanos = waitUntil + (long) (items * 1_000_000_000L / perSecond);
        }
        long sleep = waitUntil - System.nanoTime();
        if (sleep > 0) {
            try {
                Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new JobException("interrupted", e);
            }
        }
    }
}
