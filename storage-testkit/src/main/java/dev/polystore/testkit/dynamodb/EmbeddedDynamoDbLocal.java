package dev.polystore.testkit.dynamodb;

import dev.polystore.testkit.engines.EmbeddedEngine;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * DynamoDB Local started in this JVM as an {@link EmbeddedEngine}, the way
 * {@link DynamoDbLocalExtension} starts it for tests (in memory, telemetry off, a free port,
 * bound to the loopback interface where DynamoDB Local lets us). Needs
 * {@code com.amazonaws:DynamoDBLocal} on the class path. Points a configuration at itself by
 * overriding {@code dynamodb.endpoint} only; the rest of the {@code [storage.dynamodb]} section
 * (region, table prefix, {@code create_tables}, {@code credentials = "local"}) stays as written.
 */
public final class EmbeddedDynamoDbLocal implements EmbeddedEngine {
    private final InProcessDynamoDbLocal server;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedDynamoDbLocal(InProcessDynamoDbLocal server) {
        this.server = server;
    }

    /**
     * Starts DynamoDB Local.
     *
     * @throws IllegalStateException if DynamoDB Local is not on the class path, or does not start
     */
    public static EmbeddedDynamoDbLocal start() {
        try {
            Class.forName("com.amazonaws.services.dynamodbv2.local.main.ServerRunner", false,
                    EmbeddedDynamoDbLocal.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("DynamoDB Local is not on the class path: add the dependency "
                    + "com.amazonaws:DynamoDBLocal (test scope; it brings the AWS SDK v1, Jetty and more)", e);
        }
        return new EmbeddedDynamoDbLocal(InProcessDynamoDbLocal.start());
    }

    @Override
    public String backend() {
        return "dynamodb";
    }

    @Override
    public Map<String, String> overrides() {
        return Map.of("dynamodb.endpoint", server.endpoint().toString());
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            server.close();
        }
    }
}
