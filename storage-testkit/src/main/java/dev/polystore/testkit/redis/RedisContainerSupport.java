package dev.polystore.testkit.redis;

/**
 * Keeps Testcontainers' classes out of the extension's own signature, so the extension loads
 * without Testcontainers on the class path; {@link ContainerRedisServer} is touched only in
 * {@link RedisServerExtension.Mode#TESTCONTAINERS} mode.
 */
final class RedisContainerSupport {
    private RedisContainerSupport() {
    }

    /** Empty if a Docker engine can be used, else why not. */
    static String whyUnavailable() {
        try {
            Class.forName("org.testcontainers.DockerClientFactory", false, RedisContainerSupport.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return "Testcontainers is not on the test class path (add org.testcontainers:testcontainers, test scope)";
        }
        return ContainerRedisServer.whyDockerUnavailable();
    }

    static RedisServer start(String image) {
        return ContainerRedisServer.start(image);
    }
}
