package dev.polystore.event;

import java.util.Objects;

/**
 * What an append did.
 *
 * @param stream the stream
 * @param firstRevision the revision of the append's first event
 * @param lastRevision the revision of its last event: pass it to {@link ExpectedRevision#exactly(long)}
 *     for the next append
 * @param replayed true if every event was already in the stream (a retry of an append that had
 *     been applied): nothing was written and the revisions are the original ones
 */
public record AppendResult(String stream, long firstRevision, long lastRevision, boolean replayed) {
    public AppendResult {
        Objects.requireNonNull(stream, "stream");
    }

    /** The number of events of the append. */
    public long count() {
        return lastRevision - firstRevision + 1;
    }
}
