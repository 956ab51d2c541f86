package dev.polystore.testkit.postgres;

import java.lang.reflect.InvocationTargetException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL in a Docker container started with Testcontainers (the official image, a fixed test
 * password). Testcontainers is called by reflection: it is an optional, test-scoped class path
 * dependency of the backend's tests, and has no stable Java module name the testkit's
 * {@code module-info} could require, so the testkit compiles and loads without it.
 */
final class ContainerPostgres implements PostgresServer, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerPostgres.class);
    private static final int CONTAINER_PORT = 5432;
    private static final String PASSWORD = "polystore-test";

    /** A {@code org.testcontainers.containers.GenericContainer}. */
    private final Object container;
    private final String host;
    private final int port;

    private ContainerPostgres(Object container, String host, int port) {
        this.container = container;
        this.host = host;
        this.port = port;
    }

    private static Class<?> type(String name) throws ClassNotFoundException {
        return Class.forName(name, true, ContainerPostgres.class.getClassLoader());
    }

    /** Calls the public method {@code name} of {@code target}, declared with {@code types}, unwrapping its exception. */
    private static Object call(Object target, String name, Class<?>[] types, Object... args) {
        try {
            Class<?> owner = target instanceof Class<?> c ? c : target.getClass();
            return owner.getMethod(name, types).invoke(target instanceof Class<?> ? null : target, args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("Testcontainers' " + name + " failed: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("this Testcontainers version has no " + name + " as the testkit expects "
                    + "(it is tested with 2.0.x): " + e, e);
        }
    }

    private static Object call(Object target, String name) {
        return call(target, name, new Class<?>[0]);
    }

    static String whyDockerUnavailable() {
        try {
            Object factory = call(type("org.testcontainers.DockerClientFactory"), "instance");
            return Boolean.TRUE.equals(call(factory, "isDockerAvailable")) ? ""
                    : "no Docker engine could be reached (Testcontainers found none)";
        } catch (ClassNotFoundException e) {
            return "Testcontainers is not on the test class path (add org.testcontainers:testcontainers, test scope)";
        } catch (RuntimeException e) {
            return "no Docker engine could be reached: " + e.getMessage();
        }
    }

    static ContainerPostgres start(String image) {
        try {
            Class<?> imageName = type("org.testcontainers.utility.DockerImageName");
            Object parsed = call(imageName, "parse", new Class<?>[] {String.class}, image);
            Object container = type("org.testcontainers.containers.GenericContainer").getConstructor(imageName)
                    .newInstance(parsed);
            call(container, "withExposedPorts", new Class<?>[] {Integer[].class}, (Object) new Integer[] {CONTAINER_PORT});
            call(container, "withEnv", new Class<?>[] {Map.class}, Map.of("POSTGRES_PASSWORD", PASSWORD));
            Class<?> waitStrategy = type("org.testcontainers.containers.wait.strategy.WaitStrategy");
            // The official image starts the server twice (once for its init scripts).
            Object ready = call(type("org.testcontainers.containers.wait.strategy.Wait"), "forLogMessage",
                    new Class<?>[] {String.class, int.class}, ".*database system is ready to accept connections.*\\s", 2);
            call(container, "waitingFor", new Class<?>[] {waitStrategy}, ready);
            call(container, "start");
            String host = (String) call(container, "getHost");
            int port = (Integer) call(container, "getMappedPort", new Class<?>[] {int.class}, CONTAINER_PORT);
            LOG.info("PostgreSQL started in container {} ({}) at {}:{}", call(container, "getContainerId"), image, host, port);
            return new ContainerPostgres(container, host, port);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("could not start PostgreSQL with Testcontainers: " + e, e);
        }
    }

    @Override
    public String host() {
        return host;
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
        return PASSWORD;
    }

    @Override
    public EmbeddedPostgresExtension.Mode mode() {
        return EmbeddedPostgresExtension.Mode.TESTCONTAINERS;
    }

    @Override
    public void close() {
        call(container, "stop");
    }
}
