package dev.polystore.testkit.dynamodb;

import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/** DynamoDB Local in a Docker container started with Testcontainers, in memory, telemetry off. */
final class ContainerDynamoDbLocal implements DynamoDbLocal, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerDynamoDbLocal.class);
    private static final int CONTAINER_PORT = 8000;

    private final GenericContainer<?> container;
    private final URI endpoint;

    private ContainerDynamoDbLocal(GenericContainer<?> container, URI endpoint) {
        this.container = container;
        this.endpoint = endpoint;
    }

    static String whyDockerUnavailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable() ? ""
                    : "no Docker engine could be reached (Testcontainers found none)";
        } catch (RuntimeException e) {
            return "no Docker engine could be reached: " + e.getMessage();
        }
    }

    static ContainerDynamoDbLocal start(String image) {
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(image))
                .withExposedPorts(CONTAINER_PORT)
                .withCommand("-jar", "DynamoDBLocal.jar", "-inMemory", "-disableTelemetry")
                .waitingFor(Wait.forListeningPort());
        container.start();
        URI endpoint = URI.create("http://" + container.getHost() + ":" + container.getMappedPort(CONTAINER_PORT));
        LOG.info("DynamoDB Local started in container {} ({}) at {}", container.getContainerId(), image, endpoint);
        return new ContainerDynamoDbLocal(container, endpoint);
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
        container.stop();
    }
}
