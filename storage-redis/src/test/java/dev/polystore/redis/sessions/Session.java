package dev.polystore.redis.sessions;

import java.time.Instant;
import java.util.Map;

/**
 * A user's session, stored as JSON through the default codec (docs/sessions.md).
 *
 * @param id the session id (what the cookie holds)
 * @param userId who is logged in
 * @param createdAt when the session started
 * @param attributes whatever the application keeps with it
 */
public record Session(String id, String userId, Instant createdAt, Map<String, String> attributes) {
    public Session {
        attributes = Map.copyOf(attributes);
    }
}
