package dev.polystore.testkit.dynamodb;

import java.net.URI;

/**
 * A running DynamoDB Local server that tests talk to over real HTTP, handed out by
 * {@link DynamoDbLocalExtension}. Any credentials and region are accepted; note that DynamoDB
 * Local keeps a separate database per access key and region, so every client of one test run
 * should use the same pair.
 *
 * <p>Thread-safe. Closed by the extension when the test run ends; tests never close it.
 */
public interface DynamoDbLocal {

    /** The endpoint to pass to the SDK's {@code endpointOverride}, e.g. {@code http://127.0.0.1:39251}. */
    URI endpoint();

    /** How the server runs: {@link DynamoDbLocalExtension.Mode#IN_PROCESS} or {@link DynamoDbLocalExtension.Mode#TESTCONTAINERS}. */
    DynamoDbLocalExtension.Mode mode();
}
