package dev.polystore.testkit.redis;

/**
 * A running Redis server that tests talk to, handed out by {@link RedisServerExtension}.
 *
 * <p>Thread-safe. Closed by the extension when the test run ends; tests never close it. Tests
 * share it: give every test its own keys (the contract kit's partition keys are unique per test)
 * or its own {@code key_prefix}.
 */
public interface RedisServer {

    /** The host clients connect to (a loopback address for the embedded mode). */
    String host();

    /** The port clients connect to. */
    int port();

    /** The URI for {@code storage.redis.uri}, e.g. {@code redis://127.0.0.1:40123}. */
    default String uri() {
        return "redis://" + host() + ":" + port();
    }

    /** How the server runs. */
    RedisServerExtension.Mode mode();
}
