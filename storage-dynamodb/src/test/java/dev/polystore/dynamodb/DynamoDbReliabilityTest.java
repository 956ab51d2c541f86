package dev.polystore.dynamodb;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import dev.polystore.testkit.reliability.ReliabilityContract;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The portable reliability suite (docs/reliability.md, tests 1 to 5) against DynamoDB Local
 * over HTTP, at the suite's full sizes (4,000 contended increments, 12 histories), like every
 * other backend. {@code -Dpolystore.reliability.scale=N} multiplies them for long runs.
 */
class DynamoDbReliabilityTest extends ReliabilityContract {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.local(DYNAMODB.endpoint()).build();
    }
}
