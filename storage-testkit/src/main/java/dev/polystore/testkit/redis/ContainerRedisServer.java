package dev.polystore.testkit.redis;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/** Redis in a Docker container started with Testcontainers, without persistence. */
final class ContainerRedisServer implements RedisServer, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerRedisServer.class);
    private static final int CONTAINER_PORT = 6379;

    private final GenericContainer<?> container;

    private ContainerRedisServer(GenericContainer<?> container) {
        this.container = container;
    }

    static String whyDockerUnavailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable() ? ""
                    : "no Docker engine could be reached (Testcontainers found none)";
        } catch (RuntimeException e) {
            return "no Docker engine could be reached: " + e.getMessage();
        }
    }

    static ContainerRedisServer start(String image) {
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(image))
                .withExposedPorts(CONTAINER_PORT)
                .withCommand("redis-server", "--save", "", "--appendonly", "no")
                .waitingFor(Wait.forListeningPort());
        container.start();
        LOG.info("Redis started in container {} ({}) at {}:{}", container.getContainerId(), image, container.getHost(),
                container.getMappedPort(CONTAINER_PORT));
        return new ContainerRedisServer(container);
    }

    @Override
    public String host() {
        return container.getHost();
    }

    @Override
    public int port() {
        return container.getMappedPort(CONTAINER_PORT);
    }

    @Override
    public RedisServerExtension.Mode mode() {
        return RedisServerExtension.Mode.TESTCONTAINERS;
    }

    @Override
    public void close() {
        container.stop();
    }
}
