package dev.polystore.dynamodb;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import dev.polystore.testkit.index.NativeIndexContract;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The native index hook's contract on DynamoDB Local: global secondary indexes are eventually
 * consistent, so NATIVE_INDEXES is undeclared and its tests are skipped, naming it.
 */
class DynamoDbNativeIndexContractTest extends NativeIndexContract {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.local(DYNAMODB.endpoint()).build();
    }
}
