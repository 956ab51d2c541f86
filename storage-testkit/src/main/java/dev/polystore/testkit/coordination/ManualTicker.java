package dev.polystore.testkit.coordination;

import dev.polystore.lease.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link Ticker} tests move by hand, so that a lease holder can be "paused" past its TTL, or a
 * contender's clock made to run fast, without sleeping. Thread-safe; never goes backwards.
 */
public final class ManualTicker implements Ticker {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Override
    public long nanos() {
        return nanos.get();
    }

    /** Moves the ticker forward by {@code by}. */
    public void advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("a ticker never goes backwards: " + by);
        }
        nanos.addAndGet(by.toNanos());
    }

    /** Sets the reading, which must not be earlier than the current one. */
    public void set(long reading) {
        nanos.updateAndGet(now -> {
            if (reading < now) {
                throw new IllegalArgumentException("a ticker never goes backwards: " + reading + " < " + now);
            }
            return reading;
        });
    }
}
