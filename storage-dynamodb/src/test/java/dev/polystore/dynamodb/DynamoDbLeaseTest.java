package dev.polystore.dynamodb;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.coordination.LeaseContract;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The testkit's Lease contract on DynamoDB Local, through the real SDK client over HTTP; child
 * JVMs connect to the same DynamoDB Local server.
 */
class DynamoDbLeaseTest extends LeaseContract {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.local(DYNAMODB.endpoint()).build();
    }

    // DynamoDB Local serves each transaction in tens of milliseconds: smaller sizes keep the build short
    // (the long profile scales them up).

    @Override
    protected int contenders() {
        return 2;
    }

    @Override
    protected int incrementsPerContender() {
        return 8 * scale();
    }

    @Override
    protected Duration pollInterval() {
        return Duration.ofMillis(40);
    }
}
