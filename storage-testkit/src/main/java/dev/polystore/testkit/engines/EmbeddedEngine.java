package dev.polystore.testkit.engines;

import java.util.Map;

/**
 * An engine started from Maven artifacts on this machine — no Docker, nothing installed — for
 * runs outside JUnit, such as the quickstart on every engine
 * ({@code mvn -pl storage-quickstart -am verify -DskipTests -Dengine=dynamodb}). Tests use the
 * JUnit extensions of the engine's package instead, which share one server per test run.
 *
 * <p>The engine listens on the loopback interface (where the engine allows choosing) on a free
 * port, holds its data in memory or in a temporary folder, and is gone after {@link #close()}.
 * Thread-safe.
 */
public interface EmbeddedEngine extends AutoCloseable {

    /** The provider name of the backend that talks to this engine, e.g. {@code dynamodb}. */
    String backend();

    /**
     * The configuration values that point a storage at this engine, keyed as in
     * {@link dev.polystore.StorageConfig} ({@code <section>.<key>}, e.g. {@code dynamodb.endpoint});
     * applied over a configuration's own section, whose other keys stay as written. Empty for an
     * embedded engine that needs no server ({@code sqlite}, {@code memory}).
     */
    Map<String, String> overrides();

    /** Stops the engine and releases what it holds, leaving no thread behind that keeps a JVM alive. Idempotent. */
    @Override
    void close();
}
