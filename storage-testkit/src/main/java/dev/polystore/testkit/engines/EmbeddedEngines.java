package dev.polystore.testkit.engines;

import dev.polystore.testkit.dynamodb.EmbeddedDynamoDbLocal;
import dev.polystore.testkit.postgres.EmbeddedPostgresEngine;
import dev.polystore.testkit.redis.EmbeddedRedis;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The engines {@link EmbeddedEngine} can start, by the provider name of their backend.
 *
 * <p>Adding an engine: implement {@link EmbeddedEngine}
 * next to the engine's JUnit fixture (loopback, a free port, data in memory or a temporary
 * folder, no thread left after {@code close()}), add one line to {@code ENGINES}, and give {@code storage-quickstart} the backend as a runtime dependency and
 * the engine's artifact in test scope. {@code -Dengine=<name>} then runs the quickstart on it,
 * and {@code QuickstartOnEveryEngineTest} checks it in every build.
 *
 * <p>Thread-safe.
 */
public final class EmbeddedEngines {
    private static final Map<String, Supplier<EmbeddedEngine>> ENGINES = new TreeMap<>(Map.of(
            "dynamodb", EmbeddedDynamoDbLocal::start,
            "memory", () -> new Embedded("memory"),
            "postgres", EmbeddedPostgresEngine::start,
            "redis", EmbeddedRedis::start,
            "sqlite", () -> new Embedded("sqlite")));

    private EmbeddedEngines() {
    }

    /** The names {@link #start(String)} accepts, sorted. */
    public static Set<String> names() {
        return ENGINES.keySet();
    }

    /**
     * Starts the engine of backend {@code name} and waits until it accepts requests.
     *
     * @throws IllegalArgumentException if there is no embedded engine of that name (the message
     *                                  lists the names there are)
     * @throws IllegalStateException    if the engine's artifact is missing from the class path or
     *                                  the engine does not start (the message says which)
     */
    public static EmbeddedEngine start(String name) {
        Supplier<EmbeddedEngine> engine = ENGINES.get(name);
        if (engine == null) {
            throw new IllegalArgumentException("no embedded engine '" + name + "'; there are " + names());
        }
        return engine.get();
    }

    /** An engine that runs inside its backend (SQLite's file, the memory backend): nothing to start. */
    private record Embedded(String backend) implements EmbeddedEngine {
        @Override
        public Map<String, String> overrides() {
            return Map.of();
        }

        @Override
        public void close() {
        }
    }
}
