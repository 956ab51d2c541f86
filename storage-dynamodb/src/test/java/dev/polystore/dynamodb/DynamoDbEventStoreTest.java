package dev.polystore.dynamodb;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.coordination.EventStoreContract;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The testkit's EventStore contract on DynamoDB Local, through the real SDK client over HTTP; child
 * JVMs connect to the same DynamoDB Local server.
 */
class DynamoDbEventStoreTest extends EventStoreContract {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.local(DYNAMODB.endpoint()).build();
    }

    // DynamoDB Local serves a transaction of 97 items in tens to hundreds of milliseconds: smaller
    // sizes keep the build short (the long profile and polystore.coordination.stream-events scale them up).

    @Override
    protected int appenders() {
        return 3;
    }

    @Override
    protected int appendsPerAppender() {
        return 8 * scale();
    }

    @Override
    protected int ambiguousAppends() {
        return 16 * scale();
    }

    @Override
    protected int restartEvents() {
        return 60 * scale();
    }

    @Override
    protected int streamedEvents() {
        String fixed = System.getProperty(STREAM_EVENTS_PROPERTY);
        return fixed != null && !fixed.isBlank() ? Integer.parseInt(fixed.trim()) : 600 * scale();
    }
}
