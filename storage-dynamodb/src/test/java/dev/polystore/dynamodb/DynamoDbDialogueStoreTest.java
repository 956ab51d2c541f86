package dev.polystore.dynamodb;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.domain.DialogueStoreContract;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The dialogue store contract on DynamoDB Local, through the real SDK client over HTTP. */
class DynamoDbDialogueStoreTest extends DialogueStoreContract {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.local(DYNAMODB.endpoint()).build();
    }
}
