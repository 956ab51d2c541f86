package dev.polystore.dynamodb;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import dev.polystore.testkit.migration.MigrationContract;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The scan and import contract against DynamoDB Local (parallel Scan; conditional puts and BatchWriteItem). */
class DynamoDbMigrationContractTest extends MigrationContract {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.local(DYNAMODB.endpoint()).build();
    }
}
