package dev.polystore.event;

import dev.polystore.Limits;
import dev.polystore.ValidationException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;

/**
 * How a subscription starts, checkpoints and polls. Immutable; build with {@link #builder()},
 * each setting at most once.
 *
 * <p>Defaults: no name (nothing is checkpointed; the subscription starts at {@code from}); from
 * revision 0; poll every 200 ms; pages of 100 events; with a name, a checkpoint saved after every
 * acknowledged event ({@code checkpointEvery = 1}) in {@link EventStore#checkpoints()}; transient
 * failures retried without limit, 50 ms growing to at most 5 s apart; handlers called on a
 * Polystore thread pool (daemon threads, shared by the Storage's subscriptions).
 */
public final class SubscriptionOptions {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}");
    private static final SubscriptionOptions DEFAULTS = builder().build();

    private final String name;
    private final CheckpointStore checkpoints;
    private final long from;
    private final boolean fromEnd;
    private final Duration pollInterval;
    private final int pageSize;
    private final int checkpointEvery;
    private final int maxConsecutiveFailures;
    private final Duration maxRetryDelay;
    private final Executor executor;
    private final SubscriptionListener listener;

    private SubscriptionOptions(Builder b) {
        this.name = b.name;
        this.checkpoints = b.checkpoints;
        this.from = b.from == null ? 0 : b.from;
        this.fromEnd = b.fromEnd;
        this.pollInterval = b.pollInterval == null ? Duration.ofMillis(200) : b.pollInterval;
        this.pageSize = b.pageSize == null ? 100 : b.pageSize;
        this.checkpointEvery = b.checkpointEvery == null ? 1 : b.checkpointEvery;
        this.maxConsecutiveFailures = b.maxConsecutiveFailures == null ? Integer.MAX_VALUE : b.maxConsecutiveFailures;
        this.maxRetryDelay = b.maxRetryDelay == null ? Duration.ofSeconds(5) : b.maxRetryDelay;
        this.executor = b.executor;
        this.listener = b.listener == null ? new SubscriptionListener() { } : b.listener;
    }

    public static SubscriptionOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A shorthand: a named (checkpointed) subscription with the other defaults. */
    public static SubscriptionOptions named(String name) {
        return builder().name(name).build();
    }

    /** The subscription's name, under which its checkpoint is kept; empty for an unnamed one. */
    public Optional<String> name() {
        return Optional.ofNullable(name);
    }

    /** The checkpoint store, if one was set (a named subscription otherwise uses the event store's). */
    public Optional<CheckpointStore> checkpoints() {
        return Optional.ofNullable(checkpoints);
    }

    /** The first revision delivered when there is no checkpoint. */
    public long from() {
        return from;
    }

    /** Whether, without a checkpoint, delivery starts after the stream's current end (live events only). */
    public boolean fromEnd() {
        return fromEnd;
    }

    public Duration pollInterval() {
        return pollInterval;
    }

    public int pageSize() {
        return pageSize;
    }

    /** A checkpoint is saved after this many acknowledged events, and when caught up or closed. */
    public int checkpointEvery() {
        return checkpointEvery;
    }

    public int maxConsecutiveFailures() {
        return maxConsecutiveFailures;
    }

    public Duration maxRetryDelay() {
        return maxRetryDelay;
    }

    /** The executor handlers and listeners run on, if set. */
    public Optional<Executor> executor() {
        return Optional.ofNullable(executor);
    }

    public SubscriptionListener listener() {
        return listener;
    }

    /** Builds {@link SubscriptionOptions}; each setting at most once. Not thread-safe. */
    public static final class Builder {
        private String name;
        private CheckpointStore checkpoints;
        private Long from;
        private boolean fromEnd;
        private boolean fromSet;
        private Duration pollInterval;
        private Integer pageSize;
        private Integer checkpointEvery;
        private Integer maxConsecutiveFailures;
        private Duration maxRetryDelay;
        private Executor executor;
        private SubscriptionListener listener;

        private Builder() {
        }

        /**
         * Names the subscription: its checkpoint is kept under this name, and a later subscription
         * with the same name and stream resumes after it. 1 to 128 of {@code A-Z a-z 0-9 _ . : -},
         * starting with a letter or digit.
         */
        public Builder name(String value) {
            once(name, "name");
            if (value == null || !NAME.matcher(value).matches()) {
                throw new ValidationException("subscription name \"" + value + "\" is not allowed: use 1 to 128 "
                        + "characters from A-Z a-z 0-9 _ . : -, starting with a letter or digit");
            }
            this.name = value;
            return this;
        }

        /** Where the checkpoint is kept (needs a name); {@link EventStore#checkpoints()} by default. */
        public Builder checkpoints(CheckpointStore value) {
            once(checkpoints, "checkpoints");
            this.checkpoints = Objects.requireNonNull(value, "checkpoints");
            return this;
        }

        /** Without a checkpoint, start at this revision (0 = the stream's beginning). */
        public Builder from(long revision) {
            onceFrom();
            if (revision < 0) {
                throw new ValidationException("from revision must be 0 or more, got " + revision);
            }
            this.from = revision;
            return this;
        }

        /** Without a checkpoint, start after the stream's end at subscription time (live events only). */
        public Builder fromEnd() {
            onceFrom();
            this.fromEnd = true;
            return this;
        }

        /** How often a caught-up subscription reads the stream for new events (1 ms to 1 day). */
        public Builder pollInterval(Duration value) {
            once(pollInterval, "pollInterval");
            Objects.requireNonNull(value, "pollInterval");
            if (value.toMillis() < 1 || value.compareTo(Duration.ofDays(1)) > 0) {
                throw new ValidationException("pollInterval must be between 1 ms and 1 day, got " + value);
            }
            this.pollInterval = value;
            return this;
        }

        /** Events read per page, 1 to {@value Limits#MAX_PAGE_SIZE}. */
        public Builder pageSize(int value) {
            once(pageSize, "pageSize");
            if (value < 1 || value > Limits.MAX_PAGE_SIZE) {
                throw new ValidationException("pageSize must be between 1 and " + Limits.MAX_PAGE_SIZE + ", got " + value);
            }
            this.pageSize = value;
            return this;
        }

        /**
         * Save the checkpoint after every {@code n} acknowledged events (and whenever caught up or
         * closed). After a crash at most the {@code n} events acknowledged since the last save are
         * delivered again; 1 (the default) writes once per event.
         */
        public Builder checkpointEvery(int n) {
            once(checkpointEvery, "checkpointEvery");
            if (n < 1) {
                throw new ValidationException("checkpointEvery must be 1 or more, got " + n);
            }
            this.checkpointEvery = n;
            return this;
        }

        /** Drop the subscription after this many transient failures in a row (default: never). */
        public Builder maxConsecutiveFailures(int n) {
            once(maxConsecutiveFailures, "maxConsecutiveFailures");
            if (n < 1) {
                throw new ValidationException("maxConsecutiveFailures must be 1 or more, got " + n);
            }
            this.maxConsecutiveFailures = n;
            return this;
        }

        /** The longest pause between retries after transient failures (default 5 s). */
        public Builder maxRetryDelay(Duration value) {
            once(maxRetryDelay, "maxRetryDelay");
            Objects.requireNonNull(value, "maxRetryDelay");
            if (value.toMillis() < 1) {
                throw new ValidationException("maxRetryDelay must be at least 1 ms, got " + value);
            }
            this.maxRetryDelay = value;
            return this;
        }

        /** Where the handler and listener run (default: the Storage's coordination threads). */
        public Builder executor(Executor value) {
            once(executor, "executor");
            this.executor = Objects.requireNonNull(value, "executor");
            return this;
        }

        public Builder listener(SubscriptionListener value) {
            once(listener, "listener");
            this.listener = Objects.requireNonNull(value, "listener");
            return this;
        }

        public SubscriptionOptions build() {
            if (checkpoints != null && name == null) {
                throw new ValidationException("a checkpoint store needs a subscription name to keep checkpoints under");
            }
            return new SubscriptionOptions(this);
        }

        private void onceFrom() {
            if (fromSet) {
                throw new IllegalStateException("from / fromEnd was already set");
            }
            fromSet = true;
        }

        private static void once(Object current, String what) {
            if (current != null) {
                throw new IllegalStateException(what + " was already set");
            }
        }
    }
}
