package dev.polystore.dynamodb;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.StorageContract;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole contract kit against DynamoDB Local over real HTTP with the real SDK client, opened
 * through {@code StoreFactory} like users do. One server serves every test (the kit's partition
 * keys are unique per test).
 */
class DynamoDbStorageContractTest extends StorageContract {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.local(DYNAMODB.endpoint()).build();
    }
}
