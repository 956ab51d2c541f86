package dev.polystore.internal.coordination;

import java.util.Map;
import java.util.TreeMap;

/**
 * The payload of a stream's head item ({@code pk ev#<stream>, sk h}), JSON: the aggregate,
 * rewritten under "if version" by every append (its version is the number of appends).
 *
 * @param stream the stream
 * @param count events in the stream (the last revision is count - 1)
 * @param firstAt when the first event was appended, epoch milliseconds
 * @param lastAt when the last event was appended, epoch milliseconds
 * @param types events per type
 */
record HeadState(String stream, long count, long firstAt, long lastAt, Map<String, Long> types) {

    HeadState {
        types = new TreeMap<>(types);
    }

    long lastRevision() {
        return count - 1;
    }
}
