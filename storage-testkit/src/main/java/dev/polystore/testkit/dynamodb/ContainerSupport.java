package dev.polystore.testkit.dynamodb;

/**
 * Keeps Testcontainers' classes out of the extension's own signature, so the extension loads
 * without Testcontainers on the class path; {@link ContainerDynamoDbLocal} is touched only in
 * {@link DynamoDbLocalExtension.Mode#TESTCONTAINERS} mode.
 */
final class ContainerSupport {
    private ContainerSupport() {
    }

    /** Empty if a Docker engine can be used, else why not. */
    static String whyUnavailable() {
        try {
            Class.forName("org.testcontainers.DockerClientFactory", false, ContainerSupport.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return "Testcontainers is not on the test class path (add org.testcontainers:testcontainers, test scope)";
        }
        return ContainerDynamoDbLocal.whyDockerUnavailable();
    }

    static DynamoDbLocal start(String image) {
        return ContainerDynamoDbLocal.start(image);
    }
}
