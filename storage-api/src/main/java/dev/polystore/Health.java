package dev.polystore;

import java.time.Duration;
import java.util.Map;

/**
 * The result of a health check: whether the engine answered, how fast, and details such as
 * the database path or table status (never secrets).
 *
 * @param healthy whether the backend answered a trivial request correctly
 * @param backend the provider name
 * @param latency how long the check took
 * @param details engine-specific facts, for logs and dashboards
 */
public record Health(boolean healthy, String backend, Duration latency, Map<String, String> details) {
    public Health {
        details = Map.copyOf(details);
    }
}
