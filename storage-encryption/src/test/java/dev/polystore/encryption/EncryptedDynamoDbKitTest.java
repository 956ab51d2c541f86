package dev.polystore.encryption;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import dev.polystore.testkit.layers.EveryContract;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every contract family through the encryption layer on DynamoDB Local (in-process, real HTTP, real
 * SDK client), with the slow-engine timeouts the backend's own kit tests use.
 */
class EncryptedDynamoDbKitTest extends EveryContract {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    static StorageConfig.Builder dynamodb(java.net.URI endpoint) {
        return StorageConfig.builder()
                .backend("dynamodb")
                .set("dynamodb.endpoint", endpoint)
                .set("dynamodb.region", "us-east-1")
                .set("dynamodb.table_prefix", "enc_")
                .set("dynamodb.create_tables", true)
                .set("dynamodb.credentials", "local")
                .set("dynamodb.api_call_timeout_ms", 120_000)
                .set("dynamodb.api_call_attempt_timeout_ms", 30_000)
                .set("dynamodb.bulk_call_timeout_ms", 120_000)
                .set("dynamodb.bulk_call_attempt_timeout_ms", 30_000);
    }

    @Override
    protected StorageConfig config(Path tempDir) throws Exception {
        return TestKeys.encrypted(dynamodb(DYNAMODB.endpoint())).build();
    }

    @Override
    protected int layerOverheadBytes() {
        return TestKeys.OVERHEAD;
    }
}
