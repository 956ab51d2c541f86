package dev.polystore.event;

import dev.polystore.ValidationException;

/**
 * What an append expects of the stream's current state, checked atomically with the append:
 * <ul>
 *   <li>{@link #any()}: nothing (concurrent appends are serialized, none fails);</li>
 *   <li>{@link #noStream()}: the stream has no event yet;</li>
 *   <li>{@link #streamExists()}: the stream has at least one event;</li>
 *   <li>{@link #exactly(long)}: the stream's last revision is exactly this (optimistic concurrency:
 *       read, decide, append at what was read).</li>
 * </ul>
 * A mismatch fails with {@link WrongExpectedRevisionException}, naming the actual revision. In
 * every mode an append whose events (by id) are already in the stream, where this append would
 * have put them, is answered with their revisions and writes nothing (see
 * {@link EventStore#append}).
 *
 * <p>Immutable values, safe to share.
 *
 * @param kind which expectation
 * @param revision the expected last revision for {@link Kind#EXACT}, else -1
 */
public record ExpectedRevision(Kind kind, long revision) {
    private static final ExpectedRevision ANY = new ExpectedRevision(Kind.ANY, -1);
    private static final ExpectedRevision NO_STREAM = new ExpectedRevision(Kind.NO_STREAM, -1);
    private static final ExpectedRevision STREAM_EXISTS = new ExpectedRevision(Kind.STREAM_EXISTS, -1);

    /** The kinds of expectation. */
    public enum Kind {
        ANY, NO_STREAM, STREAM_EXISTS, EXACT
    }

    public ExpectedRevision {
        java.util.Objects.requireNonNull(kind, "kind");
        if (kind == Kind.EXACT ? revision < 0 : revision != -1) {
            throw new ValidationException(kind == Kind.EXACT
                    ? "an exact expected revision must be 0 or more (revisions start at 0), got " + revision
                    : "only EXACT carries a revision");
        }
    }

    public static ExpectedRevision any() {
        return ANY;
    }

    public static ExpectedRevision noStream() {
        return NO_STREAM;
    }

    public static ExpectedRevision streamExists() {
        return STREAM_EXISTS;
    }

    /**
     * @param lastRevision the revision of the stream's last event (0 after its first event)
     * @throws ValidationException if negative
     */
    public static ExpectedRevision exactly(long lastRevision) {
        return new ExpectedRevision(Kind.EXACT, lastRevision);
    }

    /**
     * Whether a stream whose last revision is {@code current} (-1 for a stream without events)
     * meets this expectation.
     */
    public boolean matches(long current) {
        return switch (kind) {
            case ANY -> true;
            case NO_STREAM -> current < 0;
            case STREAM_EXISTS -> current >= 0;
            case EXACT -> current == revision;
        };
    }

    @Override
    public String toString() {
        return switch (kind) {
            case ANY -> "any";
            case NO_STREAM -> "no stream";
            case STREAM_EXISTS -> "stream exists";
            case EXACT -> "revision " + revision;
        };
    }
}
