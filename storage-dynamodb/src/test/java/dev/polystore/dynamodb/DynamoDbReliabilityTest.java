package dev.polystore.dynamodb;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import dev.polystore.testkit.reliability.ReliabilityContract;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The portable reliability suite (docs/reliability.md, tests 1 to 5) against DynamoDB Local
 * over HTTP. Tests 1 and 3 are sized down for every {@code mvn verify}: DynamoDB Local serves
 * one request at a time, so each contended increment round costs about 16 round trips.
 * {@code -Dpolystore.reliability.scale=10} gives the full figure for test 1 (4,000
 * increments) and more than its 12 histories for test 3.
 */
class DynamoDbReliabilityTest extends ReliabilityContract {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.local(DYNAMODB.endpoint()).build();
    }

    @Override
    protected int lostUpdateIncrementsPerThread() {
        return 50 * scale();
    }

    @Override
    protected int historyCount() {
        return 6 * scale();
    }
}
