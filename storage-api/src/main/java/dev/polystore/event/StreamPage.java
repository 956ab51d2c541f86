package dev.polystore.event;

import java.util.List;
import java.util.Optional;

/**
 * One page of stream names from {@link EventStore#listStreams}, in UTF-8 order.
 *
 * @param streams the names on this page
 * @param cursor where the next page starts, empty at the end
 */
public record StreamPage(List<String> streams, Optional<String> cursor) {
    public StreamPage {
        streams = List.copyOf(streams);
    }
}
