package dev.polystore.lease;

import dev.polystore.ValidationException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How a {@link Leases} instance acquires, renews and times its leases. Immutable and thread-safe;
 * build one with {@link #builder()}, each setting at most once.
 *
 * <p>Defaults, for a lease of time-to-live {@code ttl}:
 * <ul>
 *   <li>{@code owner}: {@code "pid <pid>@<host>"} of this process (a label for people; correctness
 *       never depends on it, each acquisition carries its own random holder id);</li>
 *   <li>{@code ticker}: {@link Ticker#system()};</li>
 *   <li>{@code autoRenew}: true, every {@code renewEvery} = {@code ttl / 3};</li>
 *   <li>{@code safetyMargin}: {@code ttl / 5}: a holder considers its lease valid until
 *       {@code ttl - safetyMargin} after the last renewal it <em>sent</em> (and the engine
 *       confirmed), so monotonic clocks may run at rates differing by up to
 *       {@code safetyMargin / (2 ttl - safetyMargin)} (11 % with the default) without two holders
 *       ever both thinking they hold it;</li>
 *   <li>{@code pollInterval}: how often {@code acquire} looks again at a held lease:
 *       {@code ttl / 10}, at least 10 ms and at most 1 s.</li>
 * </ul>
 */
public final class LeaseOptions {
    private static final LeaseOptions DEFAULTS = new Builder().build();
    static final Duration MIN_POLL = Duration.ofMillis(10);
    static final Duration MAX_POLL = Duration.ofSeconds(1);

    private final String owner;
    private final Ticker ticker;
    private final boolean autoRenew;
    private final Duration renewEvery;
    private final Duration safetyMargin;
    private final Duration pollInterval;

    private LeaseOptions(Builder b) {
        this.owner = b.owner != null ? b.owner : defaultOwner();
        this.ticker = b.ticker != null ? b.ticker : Ticker.system();
        this.autoRenew = b.autoRenew == null || b.autoRenew;
        this.renewEvery = b.renewEvery;
        this.safetyMargin = b.safetyMargin;
        this.pollInterval = b.pollInterval;
    }

    /** The defaults described above. */
    public static LeaseOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    private static String defaultOwner() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            host = System.getenv("COMPUTERNAME");
        }
        return "pid " + ProcessHandle.current().pid() + "@" + (host == null || host.isBlank() ? "localhost" : host);
    }

    /** The owner label written into the lease's record. */
    public String owner() {
        return owner;
    }

    /** The monotonic clock deciding validity, takeovers and acquire timeouts. */
    public Ticker ticker() {
        return ticker;
    }

    /** Whether a lease renews itself in the background until released or lost. */
    public boolean autoRenew() {
        return autoRenew;
    }

    /** The renewal interval if set; otherwise {@code ttl / 3}. */
    public Optional<Duration> renewEvery() {
        return Optional.ofNullable(renewEvery);
    }

    /** The safety margin if set; otherwise {@code ttl / 5}. */
    public Optional<Duration> safetyMargin() {
        return Optional.ofNullable(safetyMargin);
    }

    /** The poll interval of {@code acquire} if set; otherwise {@code ttl / 10} within [10 ms, 1 s]. */
    public Optional<Duration> pollInterval() {
        return Optional.ofNullable(pollInterval);
    }

    /** The safety margin for a lease of {@code ttl}. */
    public Duration safetyMarginFor(Duration ttl) {
        return safetyMargin != null ? safetyMargin : ttl.dividedBy(5);
    }

    /** The renewal interval for a lease of {@code ttl}. */
    public Duration renewEveryFor(Duration ttl) {
        return renewEvery != null ? renewEvery : ttl.dividedBy(3);
    }

    /** The poll interval of {@code acquire} for a lease of {@code ttl}. */
    public Duration pollIntervalFor(Duration ttl) {
        if (pollInterval != null) {
            return pollInterval;
        }
        Duration d = ttl.dividedBy(10);
        return d.compareTo(MIN_POLL) < 0 ? MIN_POLL : d.compareTo(MAX_POLL) > 0 ? MAX_POLL : d;
    }

    @Override
    public String toString() {
        return "LeaseOptions{owner=" + owner + ", autoRenew=" + autoRenew
                + (renewEvery == null ? "" : ", renewEvery=" + renewEvery)
                + (safetyMargin == null ? "" : ", safetyMargin=" + safetyMargin)
                + (pollInterval == null ? "" : ", pollInterval=" + pollInterval) + "}";
    }

    /** Builds {@link LeaseOptions}; each setting at most once. Not thread-safe. */
    public static final class Builder {
        private String owner;
        private Ticker ticker;
        private Boolean autoRenew;
        private Duration renewEvery;
        private Duration safetyMargin;
        private Duration pollInterval;

        private Builder() {
        }

        /** A label for people (host, process, worker): 1 to 256 characters, not blank. */
        public Builder owner(String label) {
            once(owner, "owner");
            Objects.requireNonNull(label, "owner");
            if (label.isBlank() || label.length() > 256) {
                throw new ValidationException("owner must be 1 to 256 characters and not blank, got \"" + label + "\"");
            }
            this.owner = label;
            return this;
        }

        /** The monotonic clock; {@link Ticker#system()} by default. */
        public Builder ticker(Ticker value) {
            once(ticker, "ticker");
            this.ticker = Objects.requireNonNull(value, "ticker");
            return this;
        }

        /** Whether leases renew themselves in the background (default true). */
        public Builder autoRenew(boolean value) {
            once(autoRenew, "autoRenew");
            this.autoRenew = value;
            return this;
        }

        /** The automatic renewal interval; must be shorter than {@code ttl - safetyMargin} of each lease. */
        public Builder renewEvery(Duration value) {
            once(renewEvery, "renewEvery");
            this.renewEvery = positive("renewEvery", value);
            return this;
        }

        /** The safety margin; must be shorter than the TTL of each lease. */
        public Builder safetyMargin(Duration value) {
            once(safetyMargin, "safetyMargin");
            this.safetyMargin = positive("safetyMargin", value);
            return this;
        }

        /** How often {@code acquire} looks again at a lease another holder has. */
        public Builder pollInterval(Duration value) {
            once(pollInterval, "pollInterval");
            this.pollInterval = positive("pollInterval", value);
            return this;
        }

        public LeaseOptions build() {
            return new LeaseOptions(this);
        }

        private static void once(Object current, String name) {
            if (current != null) {
                throw new IllegalStateException(name + " was already set");
            }
        }

        private static Duration positive(String name, Duration value) {
            Objects.requireNonNull(value, name);
            if (value.isNegative() || value.isZero()) {
                throw new ValidationException(name + " must be positive, got " + value);
            }
            return value;
        }
    }
}
