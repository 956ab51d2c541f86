package dev.polystore.testkit.redis;

import java.lang.reflect.InvocationTargetException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis in a Docker container started with Testcontainers, without persistence. Testcontainers
 * is called by reflection: it is an optional, test-scoped class path dependency of the backend's
 * tests, and has no stable Java module name the testkit's {@code module-info} could require, so
 * the testkit compiles and loads without it.
 */
final class ContainerRedisServer implements RedisServer, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerRedisServer.class);
    private static final int CONTAINER_PORT = 6379;

    /** A {@code org.testcontainers.containers.GenericContainer}. */
    private final Object container;
    private final String host;
    private final int port;

    private ContainerRedisServer(Object container, String host, int port) {
        this.container = container;
        this.host = host;
        this.port = port;
    }

    private static Class<?> type(String name) throws ClassNotFoundException {
        return Class.forName(name, true, ContainerRedisServer.class.getClassLoader());
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

    static ContainerRedisServer start(String image) {
        try {
            Class<?> imageName = type("org.testcontainers.utility.DockerImageName");
            Object parsed = call(imageName, "parse", new Class<?>[] {String.class}, image);
            Object container = type("org.testcontainers.containers.GenericContainer").getConstructor(imageName)
                    .newInstance(parsed);
            call(container, "withExposedPorts", new Class<?>[] {Integer[].class}, (Object) new Integer[] {CONTAINER_PORT});
            call(container, "withCommand", new Class<?>[] {String[].class},
                    (Object) new String[] {"redis-server", "--save", "", "--appendonly", "no"});
            Class<?> waitStrategy = type("org.testcontainers.containers.wait.strategy.WaitStrategy");
            Object listening = call(type("org.testcontainers.containers.wait.strategy.Wait"), "forListeningPort");
            call(container, "waitingFor", new Class<?>[] {waitStrategy}, listening);
            call(container, "start");
            String host = (String) call(container, "getHost");
            int port = (Integer) call(container, "getMappedPort", new Class<?>[] {int.class}, CONTAINER_PORT);
            LOG.info("Redis started in container {} ({}) at {}:{}", call(container, "getContainerId"), image, host, port);
            return new ContainerRedisServer(container, host, port);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("could not start Redis with Testcontainers: " + e, e);
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
    public RedisServerExtension.Mode mode() {
        return RedisServerExtension.Mode.TESTCONTAINERS;
    }

    @Override
    public void close() {
        call(container, "stop");
    }
}
