package dev.polystore.testkit.postgres;

/**
 * Keeps Testcontainers' classes out of the extension's signature, so the extension loads without
 * Testcontainers on the class path; {@link ContainerPostgres} is touched only in
 * {@link EmbeddedPostgresExtension.Mode#TESTCONTAINERS} mode.
 */
final class PostgresContainerSupport {
    private PostgresContainerSupport() {
    }

    /** Empty if a Docker engine can be used, else why not. */
    static String whyUnavailable() {
        try {
            Class.forName("org.testcontainers.DockerClientFactory", false, PostgresContainerSupport.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return "Testcontainers is not on the test class path (add org.testcontainers:testcontainers, test scope)";
        }
        return ContainerPostgres.whyDockerUnavailable();
    }

    static PostgresServer start(String image) {
        return ContainerPostgres.start(image);
    }
}
