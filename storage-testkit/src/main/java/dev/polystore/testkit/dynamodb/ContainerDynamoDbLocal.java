package dev.polystore.testkit.dynamodb;

import java.lang.reflect.InvocationTargetException;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DynamoDB Local in a Docker container started with Testcontainers, in memory, telemetry off.
 * Testcontainers is called by reflection: it is an optional, test-scoped class path dependency
 * of the backend's tests, and has no stable Java module name the testkit's {@code module-info}
 * could require, so the testkit compiles and loads without it.
 */
final class ContainerDynamoDbLocal implements DynamoDbLocal, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerDynamoDbLocal.class);
    private static final int CONTAINER_PORT = 8000;

    /** A {@code org.testcontainers.containers.GenericContainer}. */
    private final Object container;
    private final URI endpoint;

    private ContainerDynamoDbLocal(Object container, URI endpoint) {
        this.container = container;
        this.endpoint = endpoint;
    }

    private static Class<?> type(String name) throws ClassNotFoundException {
        return Class.forName(name, true, ContainerDynamoDbLocal.class.getClassLoader());
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

    static ContainerDynamoDbLocal start(String image) {
        try {
            Class<?> imageName = type("org.testcontainers.utility.DockerImageName");
            Object parsed = call(imageName, "parse", new Class<?>[] {String.class}, image);
            Object container = type("org.testcontainers.containers.GenericContainer").getConstructor(imageName)
                    .newInstance(parsed);
            call(container, "withExposedPorts", new Class<?>[] {Integer[].class}, (Object) new Integer[] {CONTAINER_PORT});
            call(container, "withCommand", new Class<?>[] {String[].class},
                    (Object) new String[] {"-jar", "DynamoDBLocal.jar", "-inMemory", "-disableTelemetry"});
            Class<?> waitStrategy = type("org.testcontainers.containers.wait.strategy.WaitStrategy");
            Object listening = call(type("org.testcontainers.containers.wait.strategy.Wait"), "forListeningPort");
            call(container, "waitingFor", new Class<?>[] {waitStrategy}, listening);
            call(container, "start");
            URI endpoint = URI.create("http://" + call(container, "getHost") + ":"
                    + call(container, "getMappedPort", new Class<?>[] {int.class}, CONTAINER_PORT));
            LOG.info("DynamoDB Local started in container {} ({}) at {}", call(container, "getContainerId"), image, endpoint);
            return new ContainerDynamoDbLocal(container, endpoint);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("could not start DynamoDB Local with Testcontainers: " + e, e);
        }
    }

    @Override
    public URI endpoint() {
        return endpoint;
    }

    @Override
    public DynamoDbLocalExtension.Mode mode() {
        return DynamoDbLocalExtension.Mode.TESTCONTAINERS;
    }

    @Override
    public void close() {
        call(container, "stop");
    }
}
