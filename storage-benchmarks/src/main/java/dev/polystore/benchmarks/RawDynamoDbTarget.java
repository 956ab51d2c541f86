package dev.polystore.benchmarks;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.URI;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * The AWS SDK v2 async client used by hand, doing the same work as Polystore's DynamoDB backend:
 * the same client setup (Netty NIO client on its own daemon event loop, SDK default retries and
 * concurrency), the same item layout (hash key {@code pk}, range key {@code sk}, version
 * {@code v}, payload {@code p} as binary), consistent reads, versioned unconditional puts
 * ({@code v = if_not_exists(v, 0) + 1}, new version returned) and prefix queries with
 * {@code begins_with}, read to the last page.
 *
 * <p>Two flavours of write:
 * <ul>
 * <li><b>plain</b> ({@code raw}): the {@code UpdateItem} an application would write without the
 *     ambiguity handling — {@code SET #p = :p, #v = if_not_exists(#v, :zero) + :one}, no token,
 *     no condition — and {@code BatchWriteItem} in chunks of 25 for bulk loads. What it leaves
 *     out is what Polystore adds on top: the write token and the conditions that let Polystore
 *     tell an ambiguous retry from a real condition failure, expiry filtering, and validation.
 * <li><b>guarded</b> ({@code raw-guarded}, {@code raw-updates}): every put sends the request
 *     Polystore's unconditional put sends (expression text copied from {@code storage-dynamodb},
 *     none of its code called): the write token {@code wt} (a random prefix and a counter, the
 *     same shape as Polystore's), {@code REMOVE #exp}, the condition "not expired and not
 *     already written by this token" with {@code :now}, {@code ReturnValuesOnConditionCheckFailure
 *     = ALL_OLD}. It does not keep an attempt log or interpret condition failures (none occur
 *     here). Bulk loads are these single guarded updates, 25 at once per chunk, up to
 *     {@value #CHUNKS_IN_FLIGHT} chunks in flight — how Polystore's {@code batchPut} writes.
 * </ul>
 * The two flavours use different tables.
 */
public final class RawDynamoDbTarget implements Target {
    /** Region used by both contenders (DynamoDB Local keeps one database per key and region). */
    public static final String REGION = "us-east-1";
    /** The access key Polystore's {@code credentials = "local"} uses, so both share one database. */
    private static final String ACCESS_KEY = "polystorelocal";
    private static final int BATCH = 25;
    /** Chunks of a guarded bulk load in flight at once, as {@code DefaultStore.batchWrite} keeps. */
    static final int CHUNKS_IN_FLIGHT = 8;

    /** Polystore's unconditional put: {@code DynamoDbBackend.updateItem} with {@code Items.NOT_EXPIRED}, no expiry. */
    static final String GUARDED_UPDATE = "SET #p = :p, #wt = :wt, #v = if_not_exists(#v, :zero) + :one REMOVE #exp";
    /** {@code Items.NOT_EXPIRED + " AND " + Items.NOT_MINE}. */
    static final String GUARDED_CONDITION = "(attribute_not_exists(#exp) OR #exp > :now) AND (attribute_not_exists(#wt) OR #wt <> :wt)";
    private static final Map<String, String> GUARDED_NAMES = orderedMap("#p", "p", "#wt", "wt", "#v", "v", "#exp", "exp");
    private static final char[] DIGITS = "0123456789abcdefghijklmnopqrstuv".toCharArray();

    private final boolean guarded;
    private final String table;
    /** Write tokens of the guarded flavour: 20 random base-32 characters, then a counter. */
    private final String tokenPrefix;
    private final AtomicLong tokenCounter = new AtomicLong();

    private final Client client;
    private final DynamoDbAsyncClient dynamo;

    /**
     * An SDK v2 async client set up as the backend sets up its own: Netty NIO client on its own
     * daemon event loop, SDK default retries and concurrency, static credentials, endpoint override.
     */
    static final class Client implements AutoCloseable {
        private final EventLoopGroup eventLoop;
        private final SdkAsyncHttpClient http;
        final DynamoDbAsyncClient dynamo;

        Client(String endpoint) {
            eventLoop = new NioEventLoopGroup(0, new DefaultThreadFactory("raw-dynamodb", true));
            http = NettyNioAsyncHttpClient.builder().eventLoopGroup(SdkEventLoopGroup.create(eventLoop)).build();
            dynamo = DynamoDbAsyncClient.builder()
                    .region(Region.of(REGION))
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, ACCESS_KEY)))
                    .httpClient(http)
                    .endpointOverride(URI.create(endpoint))
                    .build();
        }

        @Override
        public void close() {
            dynamo.close();
            http.close();
            eventLoop.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /** The plain flavour. */
    public RawDynamoDbTarget(String endpoint) {
        this(endpoint, false);
    }

    public RawDynamoDbTarget(String endpoint, boolean guarded) {
        this.guarded = guarded;
        this.table = guarded ? "raw_guarded_items" : "raw_items";
        SecureRandom random = new SecureRandom();
        char[] prefix = new char[20];
        for (int i = 0; i < prefix.length; i++) {
            prefix[i] = DIGITS[random.nextInt(DIGITS.length)];
        }
        this.tokenPrefix = new String(prefix);
        client = new Client(endpoint);
        dynamo = client.dynamo;
        try {
            dynamo.createTable(b -> b.tableName(table)
                    .billingMode(BillingMode.PAY_PER_REQUEST)
                    .attributeDefinitions(
                            AttributeDefinition.builder().attributeName("pk").attributeType(ScalarAttributeType.S).build(),
                            AttributeDefinition.builder().attributeName("sk").attributeType(ScalarAttributeType.S).build())
                    .keySchema(
                            KeySchemaElement.builder().attributeName("pk").keyType(KeyType.HASH).build(),
                            KeySchemaElement.builder().attributeName("sk").keyType(KeyType.RANGE).build())).join();
        } catch (java.util.concurrent.CompletionException e) {
            if (!(e.getCause() instanceof ResourceInUseException)) {
                throw e;
            }
        }
        dynamo.waiter().waitUntilTableExists(b -> b.tableName(table)).join();
    }

    private static Map<String, String> orderedMap(String... kv) {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    private static Map<String, AttributeValue> key(String pk, String sk) {
        Map<String, AttributeValue> key = new HashMap<>(4);
        key.put("pk", AttributeValue.fromS(pk));
        key.put("sk", AttributeValue.fromS(sk));
        return key;
    }

    @Override
    public CompletableFuture<byte[]> get(String pk, String sk) {
        return dynamo.getItem(b -> b.tableName(table).key(key(pk, sk)).consistentRead(true))
                .thenApply(r -> r.hasItem() && !r.item().isEmpty() ? r.item().get("p").b().asByteArray() : null);
    }

    @Override
    public CompletableFuture<Long> put(String pk, String sk, byte[] payload) {
        return guarded ? guardedPut(pk, sk, payload) : plainPut(pk, sk, payload);
    }

    private CompletableFuture<Long> plainPut(String pk, String sk, byte[] payload) {
        Map<String, AttributeValue> values = new HashMap<>(4);
        values.put(":p", AttributeValue.fromB(SdkBytes.fromByteArray(payload)));
        values.put(":zero", AttributeValue.fromN("0"));
        values.put(":one", AttributeValue.fromN("1"));
        return dynamo.updateItem(b -> b.tableName(table).key(key(pk, sk))
                        .updateExpression("SET #p = :p, #v = if_not_exists(#v, :zero) + :one")
                        .expressionAttributeNames(Map.of("#p", "p", "#v", "v"))
                        .expressionAttributeValues(values)
                        .returnValues(ReturnValue.UPDATED_NEW))
                .thenApply(r -> Long.parseLong(r.attributes().get("v").n()));
    }

    /** The request of Polystore's unconditional put, one token per call (kept across the SDK's retries). */
    private CompletableFuture<Long> guardedPut(String pk, String sk, byte[] payload) {
        String token = tokenPrefix.concat(Long.toUnsignedString(tokenCounter.getAndIncrement(), 32));
        Map<String, AttributeValue> values = new java.util.LinkedHashMap<>(8);
        values.put(":p", AttributeValue.fromB(SdkBytes.fromByteArray(payload)));
        values.put(":wt", AttributeValue.fromS(token));
        values.put(":zero", AttributeValue.fromN("0"));
        values.put(":one", AttributeValue.fromN("1"));
        values.put(":now", AttributeValue.fromN(Long.toString(System.currentTimeMillis() / 1000)));
        return dynamo.updateItem(b -> b.tableName(table).key(key(pk, sk))
                        .updateExpression(GUARDED_UPDATE)
                        .conditionExpression(GUARDED_CONDITION)
                        .expressionAttributeNames(GUARDED_NAMES)
                        .expressionAttributeValues(values)
                        .returnValues(ReturnValue.UPDATED_NEW)
                        .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD))
                .thenApply(r -> Long.parseLong(r.attributes().get("v").n()));
    }

    @Override
    public CompletableFuture<Long> query(String pk, String prefix) {
        return queryFrom(pk, prefix, null, 0L);
    }

    private CompletableFuture<Long> queryFrom(String pk, String prefix, Map<String, AttributeValue> start, long bytesSoFar) {
        QueryRequest.Builder b = QueryRequest.builder().tableName(table)
                .keyConditionExpression("#pk = :pk AND begins_with(#sk, :prefix)")
                .expressionAttributeNames(Map.of("#pk", "pk", "#sk", "sk"))
                .expressionAttributeValues(Map.of(":pk", AttributeValue.fromS(pk), ":prefix", AttributeValue.fromS(prefix)))
                .consistentRead(true);
        if (start != null) {
            b.exclusiveStartKey(start);
        }
        return dynamo.query(b.build()).thenCompose(r -> {
            long bytes = bytesSoFar;
            for (Map<String, AttributeValue> item : r.items()) {
                bytes += item.get("p").b().asByteArray().length;
            }
            if (r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty()) {
                return queryFrom(pk, prefix, r.lastEvaluatedKey(), bytes);
            }
            return CompletableFuture.completedFuture(bytes);
        });
    }

    /**
     * Plain: {@code BatchWriteItem} in chunks of 25, one chunk after another, unprocessed items
     * sent again at once until none are left (DynamoDB Local does not throttle). Guarded: chunks
     * of 25 guarded puts sent at once, {@value #CHUNKS_IN_FLIGHT} chunks in flight.
     */
    @Override
    public CompletableFuture<Void> load(List<Entry> items) {
        return guarded ? loadGuarded(items) : loadBatchWrite(items);
    }

    private CompletableFuture<Void> loadGuarded(List<Entry> items) {
        int chunks = (items.size() + BATCH - 1) / BATCH;
        return Targets.inLanes(chunks, CHUNKS_IN_FLIGHT, index -> {
            List<Entry> chunk = items.subList(index * BATCH, Math.min(items.size(), (index + 1) * BATCH));
            return CompletableFuture.allOf(chunk.stream()
                    .map(e -> guardedPut(e.pk(), e.sk(), e.payload()))
                    .toArray(CompletableFuture<?>[]::new));
        });
    }

    private CompletableFuture<Void> loadBatchWrite(List<Entry> items) {
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (int i = 0; i < items.size(); i += BATCH) {
            List<WriteRequest> chunk = putRequests(items.subList(i, Math.min(items.size(), i + BATCH)));
            chain = chain.thenCompose(v -> batchWrite(dynamo, Map.of(table, chunk)));
        }
        return chain;
    }

    /** {@code BatchWriteItem} put requests of {@code entries} at version 1, in Polystore's item layout. */
    static List<WriteRequest> putRequests(List<Entry> entries) {
        List<WriteRequest> chunk = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            Map<String, AttributeValue> item = key(e.pk(), e.sk());
            item.put("v", AttributeValue.fromN("1"));
            item.put("p", AttributeValue.fromB(SdkBytes.fromByteArray(e.payload())));
            chunk.add(WriteRequest.builder().putRequest(PutRequest.builder().item(item).build()).build());
        }
        return chunk;
    }

    /** One {@code BatchWriteItem}, its unprocessed items sent again at once until none are left. */
    static CompletableFuture<Void> batchWrite(DynamoDbAsyncClient dynamo, Map<String, List<WriteRequest>> requests) {
        return dynamo.batchWriteItem(b -> b.requestItems(requests)).thenCompose((BatchWriteItemResponse r) ->
                r.hasUnprocessedItems() && !r.unprocessedItems().isEmpty()
                        ? batchWrite(dynamo, r.unprocessedItems()) : CompletableFuture.completedFuture(null));
    }

    @Override
    public void close() {
        client.close();
    }
}
