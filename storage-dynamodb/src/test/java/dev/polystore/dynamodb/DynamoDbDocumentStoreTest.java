package dev.polystore.dynamodb;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.domain.DocumentStoreContract;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The document store contract on DynamoDB Local, through the real SDK client over HTTP. */
class DynamoDbDocumentStoreTest extends DocumentStoreContract {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.local(DYNAMODB.endpoint()).build();
    }
}
