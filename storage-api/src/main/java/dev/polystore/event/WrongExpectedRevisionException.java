package dev.polystore.event;

import dev.polystore.ConditionFailedException;
import dev.polystore.Key;

/**
 * An append's {@link ExpectedRevision} did not match the stream: nothing was written. The
 * message and {@link #actualRevision()} say where the stream is, so the caller can re-read from
 * there and decide again.
 */
public class WrongExpectedRevisionException extends ConditionFailedException {
    private static final long serialVersionUID = 1L;

    private final String stream;
    private final transient ExpectedRevision expected;
    private final long actualRevision;

    public WrongExpectedRevisionException(String stream, ExpectedRevision expected, long actualRevision, Key key) {
        super("append to stream '" + stream + "' expected " + expected + " but the stream "
                + (actualRevision < 0 ? "has no event yet" : "is at revision " + actualRevision)
                + "; nothing was written: read from there and decide again", key);
        this.stream = stream;
        this.expected = expected;
        this.actualRevision = actualRevision;
    }

    public String stream() {
        return stream;
    }

    public ExpectedRevision expected() {
        return expected;
    }

    /** The stream's last revision when the append was refused, or -1 if it had no event. */
    public long actualRevision() {
        return actualRevision;
    }
}
