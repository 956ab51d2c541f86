package dev.polystore.encryption;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.IndexSpec;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import dev.polystore.StoreOptions;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The tamper suite and the canary against DynamoDB Local, reading and altering items with the SDK client directly. */
class DynamoDbTamperTest {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    @TempDir
    Path dir;
    private DynamoDbAsyncClient client;

    @BeforeEach
    void client() {
        client = DynamoDbAsyncClient.builder().endpointOverride(DYNAMODB.endpoint()).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create("polystorelocal", "polystorelocal"))).build();
    }

    @AfterEach
    void close() {
        client.close();
    }

    private static Map<String, AttributeValue> key(Key k) {
        return Map.of("pk", AttributeValue.fromS(k.pk()), "sk", AttributeValue.fromS(k.sk()));
    }

    private final class Sdk implements TamperSuite.Engine {
        @Override
        public byte[] read(String store, Key k) {
            return client.getItem(b -> b.tableName("enc_" + store).key(key(k)).consistentRead(true)).join()
                    .item().get("p").b().asByteArray();
        }

        @Override
        public void write(String store, Key k, byte[] payload) {
            client.updateItem(b -> b.tableName("enc_" + store).key(key(k)).updateExpression("SET p = :p")
                    .expressionAttributeValues(Map.of(":p", AttributeValue.fromB(SdkBytes.fromByteArray(payload))))).join();
        }
    }

    @Test
    @DisplayName("tamper suite on DynamoDB: every altered item is rejected")
    void tamper() throws Exception {
        try (Storage storage = StoreFactory.open(TestKeys.encrypted(EncryptedDynamoDbKitTest.dynamodb(DYNAMODB.endpoint()),
                dir).build())) {
            TamperSuite.Figures f = new TamperSuite(storage, new Sdk()).run("dynamodb", "t" + System.nanoTime() + "#");
            assertTrue(f.attempts() > 400);
        }
    }

    @Test
    @DisplayName("canary on DynamoDB: a marker in values and index keys appears in no stored item")
    void canary() throws Exception {
        String marker = "canarymarker" + System.nanoTime();
        try (Storage storage = StoreFactory.open(TestKeys.encrypted(EncryptedDynamoDbKitTest.dynamodb(DYNAMODB.endpoint()),
                dir).build())) {
            Store<String> st = storage.store("canary", Codec.utf8(), StoreOptions.indexes(IndexSpec.of("byValue", (String v) -> v)));
            st.put(Item.of("p" + marker.hashCode(), "s", "value " + marker)).join();
            assertTrue(st.index("byValue").query("value " + marker).join().size() == 1);
            var items = client.scan(b -> b.tableName("enc_canary")).join().items();
            assertFalse(items.isEmpty());
            for (var item : items) {
                for (AttributeValue v : item.values()) {
                    String text = v.s() != null ? v.s() : v.b() != null ? new String(v.b().asByteArray(), StandardCharsets.ISO_8859_1) : "";
                    assertFalse(text.contains(marker), "marker in a stored attribute");
                }
            }
            System.out.println("canary dynamodb: marker absent from " + items.size() + " stored items (attributes s and b)");
        }
    }
}
