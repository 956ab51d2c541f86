package dev.polystore.testkit.postgres;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/** PostgreSQL in a Docker container started with Testcontainers (the official image, a fixed test password). */
final class ContainerPostgres implements PostgresServer, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerPostgres.class);
    private static final int CONTAINER_PORT = 5432;
    private static final String PASSWORD = "polystore-test";

    private final GenericContainer<?> container;

    private ContainerPostgres(GenericContainer<?> container) {
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

    static ContainerPostgres start(String image) {
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(image))
                .withExposedPorts(CONTAINER_PORT)
                .withEnv("POSTGRES_PASSWORD", PASSWORD)
                // The official image starts the server twice (once for its init scripts).
                .waitingFor(Wait.forLogMessage(".*database system is ready to accept connections.*\\s", 2));
        container.start();
        ContainerPostgres pg = new ContainerPostgres(container);
        LOG.info("PostgreSQL started in container {} ({}) at {}:{}", container.getContainerId(), image, pg.host(), pg.port());
        return pg;
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
        container.stop();
    }
}
