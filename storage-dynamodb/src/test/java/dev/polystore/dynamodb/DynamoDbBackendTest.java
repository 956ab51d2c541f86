package dev.polystore.dynamodb;

import static dev.polystore.dynamodb.DynamoDbFaultTest.await;
import static dev.polystore.dynamodb.DynamoDbFaultTest.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Capability;
import dev.polystore.Condition;
import dev.polystore.ConfigurationException;
import dev.polystore.Direction;
import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.KeyRange;
import dev.polystore.Storage;
import dev.polystore.StoreException;
import dev.polystore.StoreFactory;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import dev.polystore.dynamodb.DynamoDbBackend.StartPosition;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.WriteOp;
import dev.polystore.testkit.MutableClock;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

/** What the contract kit cannot see: tables, open-time checks, the stored layout, limits. */
class DynamoDbBackendTest {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    private DynamoDbBackend open(Map<String, String> extra) {
        var section = TestConfigs.section(DYNAMODB.endpoint(), extra);
        return (DynamoDbBackend) new DynamoDbStorageProvider().open(new ProviderContext(section, MutableClock.startingNow()));
    }

    @Test
    @DisplayName("a missing table with create_tables = false fails naming the table and the key")
    void missingTable() {
        try (DynamoDbBackend backend = open(Map.of("create_tables", "false"))) {
            StoreException e = failure(backend.prepareTable("absent_" + UUID.randomUUID().toString().substring(0, 8)));
            ConfigurationException ce = assertInstanceOf(ConfigurationException.class, e);
            assertTrue(ce.getMessage().contains("'" + TestConfigs.PREFIX + "absent_"), ce.getMessage());
            assertTrue(ce.getMessage().contains("storage.dynamodb.create_tables"), ce.getMessage());
        }
    }

    @Test
    @DisplayName("created tables have the documented key schema, on-demand billing and TTL on 'exp'")
    void createdTable() {
        String store = "created_" + UUID.randomUUID().toString().substring(0, 8);
        try (DynamoDbBackend backend = open(Map.of()); DynamoDbClient raw = rawClient()) {
            await(backend.prepareTable(store));
            await(backend.prepareTable(store)); // idempotent
            var table = raw.describeTable(b -> b.tableName(TestConfigs.PREFIX + store)).table();
            assertEquals("ACTIVE", table.tableStatusAsString());
            assertEquals("PAY_PER_REQUEST", table.billingModeSummary().billingModeAsString());
            assertEquals(List.of("pk:HASH", "sk:RANGE"), table.keySchema().stream()
                    .map(k -> k.attributeName() + ":" + k.keyTypeAsString()).toList());
            assertTrue(table.attributeDefinitions().stream().allMatch(a -> a.attributeType() == ScalarAttributeType.S));
            var ttl = raw.describeTimeToLive(b -> b.tableName(TestConfigs.PREFIX + store)).timeToLiveDescription();
            assertEquals("exp", ttl.attributeName());
        }
    }

    @Test
    @DisplayName("items are stored as documented: pk, sk, v (N), p (B), exp (N epoch seconds), wt")
    void layout() {
        String store = "layout";
        MutableClock clock = MutableClock.startingNow();
        var section = TestConfigs.section(DYNAMODB.endpoint(), Map.of());
        try (DynamoDbBackend backend = (DynamoDbBackend) new DynamoDbStorageProvider().open(new ProviderContext(section, clock));
             DynamoDbClient raw = rawClient()) {
            await(backend.prepareTable(store));
            Key key = Key.of("layout-" + UUID.randomUUID(), "s");
            var expires = clock.instant().plusSeconds(3600);
            await(backend.put(new WriteOp.Put(store, key, new byte[] {1, 2, 3}, expires, Condition.none())));
            await(backend.put(new WriteOp.Put(store, key, new byte[] {4, 5}, expires, Condition.ifVersion(1))));
            Map<String, AttributeValue> item = raw.getItem(b -> b.tableName(TestConfigs.PREFIX + store).consistentRead(true)
                    .key(Map.of("pk", AttributeValue.fromS(key.pk()), "sk", AttributeValue.fromS(key.sk())))).item();
            assertEquals(java.util.Set.of("pk", "sk", "v", "p", "exp", "wt"), item.keySet());
            assertEquals("2", item.get("v").n());
            assertEquals(List.of((byte) 4, (byte) 5), toList(item.get("p").b().asByteArray()));
            assertEquals(String.valueOf(expires.getEpochSecond()), item.get("exp").n());
        }
    }

    @Test
    @DisplayName("a store name too short for DynamoDB without a prefix fails naming table_prefix")
    void shortTableName() {
        try (DynamoDbBackend backend = open(Map.of("table_prefix", ""))) {
            StoreException e = failure(backend.prepareTable("ab"));
            assertTrue(e.getMessage().contains("storage.dynamodb.table_prefix"), e.getMessage());
        }
    }

    @Test
    @DisplayName("capabilities: transactions (100 items, 4 MiB), batches (get 100, write 25), expiry")
    void capabilities() {
        try (DynamoDbBackend backend = open(Map.of())) {
            var caps = backend.capabilities();
            assertTrue(caps.has(Capability.TRANSACTIONS) && caps.has(Capability.BATCH) && caps.has(Capability.EXPIRY));
            assertEquals(100, caps.maxTransactionItems());
            assertEquals(4L * 1024 * 1024, caps.maxTransactionBytes());
            assertEquals(100, caps.maxBatchGetItems());
            assertEquals(25, caps.maxBatchWriteItems());
            Health h = await(backend.health());
            assertTrue(h.healthy(), h.toString());
            assertEquals(DYNAMODB.endpoint().toString(), h.details().get("endpoint"));
        }
    }

    @Test
    @DisplayName("a transaction over the limits fails with a validation error before anything is written")
    void transactionLimits() {
        try (DynamoDbBackend backend = open(Map.of())) {
            await(backend.prepareTable("kit"));
            String pk = "limits-" + UUID.randomUUID();
            List<WriteOp> ops = new ArrayList<>();
            for (int i = 0; i <= 100; i++) {
                ops.add(new WriteOp.Put("kit", Key.of(pk, "k" + i), new byte[1], null, Condition.none()));
            }
            assertInstanceOf(ValidationException.class, failure(backend.transact(ops)));
            List<WriteOp> big = new ArrayList<>();
            for (int i = 0; i < 11; i++) {
                big.add(new WriteOp.Put("kit", Key.of(pk, "b" + i), new byte[400_000], null, Condition.none()));
            }
            assertInstanceOf(ValidationException.class, failure(backend.transact(big)));
            assertTrue(await(backend.get("kit", Key.of(pk, "k0"))).isEmpty());
            assertTrue(await(backend.get("kit", Key.of(pk, "b0"))).isEmpty());
        }
    }

    @Test
    @DisplayName("opening against an endpoint nobody listens on fails at open as unavailable, naming the endpoint")
    void unreachable() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        URI nowhere = URI.create("http://127.0.0.1:" + port);
        var section = TestConfigs.section(nowhere, Map.of("max_attempts", "1"));
        var provider = new DynamoDbStorageProvider();
        UnavailableException e = assertThrows(UnavailableException.class,
                () -> provider.open(new ProviderContext(section, MutableClock.startingNow())));
        assertTrue(e.getMessage().contains(nowhere.toString()), e.getMessage());
        assertTrue(e.retryable());
    }

    @Test
    @DisplayName("the provider is found by name through ServiceLoader")
    void discovery() {
        assertTrue(StoreFactory.availableBackends().contains("dynamodb"));
        try (Storage storage = StoreFactory.open(TestConfigs.local(DYNAMODB.endpoint()).build())) {
            assertEquals("dynamodb", storage.backend());
        }
    }

    @Test
    @DisplayName("resume keys outside the range are dropped (before it) or end the query (past it), both directions")
    void startPositions() {
        var asc = Direction.ASCENDING;
        var desc = Direction.DESCENDING;
        KeyRange prefix = KeyRange.prefix("b");
        assertEquals(StartPosition.IN_RANGE, DynamoDbBackend.startPosition(prefix, asc, "b1"));
        assertEquals(StartPosition.BEFORE_RANGE, DynamoDbBackend.startPosition(prefix, asc, "a"));
        assertEquals(StartPosition.PAST_RANGE, DynamoDbBackend.startPosition(prefix, asc, "c"));
        assertEquals(StartPosition.PAST_RANGE, DynamoDbBackend.startPosition(prefix, desc, "a"));
        assertEquals(StartPosition.BEFORE_RANGE, DynamoDbBackend.startPosition(prefix, desc, "c"));
        KeyRange between = KeyRange.between("b", "d");
        assertEquals(StartPosition.IN_RANGE, DynamoDbBackend.startPosition(between, asc, "d"));
        assertEquals(StartPosition.BEFORE_RANGE, DynamoDbBackend.startPosition(between, asc, "a"));
        assertEquals(StartPosition.PAST_RANGE, DynamoDbBackend.startPosition(between, asc, "e"));
        assertEquals(StartPosition.BEFORE_RANGE, DynamoDbBackend.startPosition(between, desc, "e"));
        assertEquals(StartPosition.PAST_RANGE, DynamoDbBackend.startPosition(KeyRange.atLeast("b"), desc, "a"));
        assertEquals(StartPosition.PAST_RANGE, DynamoDbBackend.startPosition(KeyRange.atMost("b"), asc, "c"));
        assertEquals(StartPosition.IN_RANGE, DynamoDbBackend.startPosition(KeyRange.all(), desc, "zzz"));
        // UTF-8 order: U+1F600 (surrogate pair in UTF-16) sorts after U+FFFD.
        assertEquals(StartPosition.PAST_RANGE,
                DynamoDbBackend.startPosition(KeyRange.atMost("\uFFFD"), asc, "\uD83D\uDE00"));
    }

    private static DynamoDbClient rawClient() {
        return DynamoDbClient.builder()
                .endpointOverride(DYNAMODB.endpoint())
                .region(Region.of(TestConfigs.REGION))
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(ClientFactory.LOCAL_ACCESS_KEY, ClientFactory.LOCAL_ACCESS_KEY)))
                .httpClientBuilder(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder())
                .build();
    }

    private static List<Byte> toList(byte[] bytes) {
        List<Byte> list = new ArrayList<>();
        for (byte b : bytes) {
            list.add(b);
        }
        return list;
    }
}
