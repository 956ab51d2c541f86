package dev.polystore.lease;

/**
 * A monotonic time source in nanoseconds, the only clock that decides when a lease expires
 * (see {@link Leases}). Only differences between two readings of one ticker mean anything; no
 * reading is ever compared with another process's, nor with a wall clock.
 *
 * <p>The default is {@link #system()} ({@link System#nanoTime()}). Tests pass a ticker they move
 * by hand, to pause a holder or skew a contender's clock without sleeping. Implementations must be
 * thread-safe and never go backwards.
 */
@FunctionalInterface
public interface Ticker {

    /** The current reading, in nanoseconds since an arbitrary origin. */
    long nanos();

    /** {@link System#nanoTime()}. */
    static Ticker system() {
        return System::nanoTime;
    }
}
