package dev.polystore.testkit.engines;

/**
 * Starts one kind of {@link EmbeddedEngine}; found by {@link java.util.ServiceLoader} (a
 * {@code provides} clause on the module path, a {@code META-INF/services} entry on the class path),
 * so that {@link EmbeddedEngines} lists every engine without depending on the packages that start
 * them. Implementations have a public no-argument constructor and are thread-safe.
 */
public interface EmbeddedEngineProvider {

    /** The provider name of the backend that talks to the engine, e.g. {@code dynamodb}. */
    String backend();

    /**
     * Starts the engine and waits until it accepts requests.
     *
     * @throws IllegalStateException if the engine's artifact is missing from the class path or the
     *                               engine does not start (the message says which)
     */
    EmbeddedEngine start();
}
