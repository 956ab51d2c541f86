package dev.polystore.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.StorageConfig;
import dev.polystore.testkit.KitAssertions;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import dev.polystore.testkit.index.IndexContract;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;

/** The index contract on DynamoDB Local, and {@code Storage.unwrap} of the SDK client. */
class DynamoDbIndexContractTest extends IndexContract {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.local(DYNAMODB.endpoint()).build();
    }

    /** DynamoDB Local answers a transaction in tens of milliseconds on a loaded machine: half the history. */
    @Override
    protected int historyLength() {
        return 120;
    }

    @Test
    @DisplayName("unwrap(DynamoDbAsyncClient.class) hands out the backend's client, which describes the store's table "
            + "and cannot be closed through the handle")
    void unwrapClient() throws Exception {
        KitAssertions.await(storage.store(tag + "uw", Codec.utf8()).put(Item.of("a", "b", "c")));
        DynamoDbAsyncClient client = storage.unwrap(DynamoDbAsyncClient.class);
        var tables = client.listTables().get(2, TimeUnit.MINUTES).tableNames();
        assertTrue(tables.stream().anyMatch(t -> t.endsWith(tag + "uw")), "tables: " + tables);
        assertThrows(UnsupportedOperationException.class, client::close);
        assertEquals("c", KitAssertions.await(storage.store(tag + "uw", Codec.utf8()).get("a", "b")).orElseThrow().value(),
                "the storage still works after an attempt to close the handed-out client");
    }
}
