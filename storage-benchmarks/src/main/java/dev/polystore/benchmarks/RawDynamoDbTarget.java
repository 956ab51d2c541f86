package dev.polystore.benchmarks;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * The AWS SDK v2 async client used by hand, doing the same work as Polystore's DynamoDB backend:
 * the same client setup (Netty NIO client on its own daemon event loop, SDK default retries and
 * concurrency), the same item layout (hash key {@code pk}, range key {@code sk}, version
 * {@code v}, payload {@code p} as binary), consistent reads, versioned unconditional puts
 * ({@code v = if_not_exists(v, 0) + 1}, new version returned) and prefix queries with
 * {@code begins_with}, read to the last page. What it leaves out is what Polystore adds on top:
 * the write token and the conditions that let Polystore tell an ambiguous retry from a real
 * condition failure, expiry filtering, and validation.
 */
public final class RawDynamoDbTarget implements Target {
    /** Region used by both contenders (DynamoDB Local keeps one database per key and region). */
    public static final String REGION = "us-east-1";
    /** The access key Polystore's {@code credentials = "local"} uses, so both share one database. */
    private static final String ACCESS_KEY = "polystorelocal";
    private static final String TABLE = "raw_items";
    private static final int BATCH = 25;

    private final EventLoopGroup eventLoop;
    private final SdkAsyncHttpClient http;
    private final DynamoDbAsyncClient dynamo;

    public RawDynamoDbTarget(String endpoint) {
        eventLoop = new NioEventLoopGroup(0, new DefaultThreadFactory("raw-dynamodb", true));
        http = NettyNioAsyncHttpClient.builder().eventLoopGroup(SdkEventLoopGroup.create(eventLoop)).build();
        dynamo = DynamoDbAsyncClient.builder()
                .region(Region.of(REGION))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, ACCESS_KEY)))
                .httpClient(http)
                .endpointOverride(URI.create(endpoint))
                .build();
        try {
            dynamo.createTable(b -> b.tableName(TABLE)
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
        dynamo.waiter().waitUntilTableExists(b -> b.tableName(TABLE)).join();
    }

    private static Map<String, AttributeValue> key(String pk, String sk) {
        Map<String, AttributeValue> key = new HashMap<>(4);
        key.put("pk", AttributeValue.fromS(pk));
        key.put("sk", AttributeValue.fromS(sk));
        return key;
    }

    @Override
    public CompletableFuture<byte[]> get(String pk, String sk) {
        return dynamo.getItem(b -> b.tableName(TABLE).key(key(pk, sk)).consistentRead(true))
                .thenApply(r -> r.hasItem() && !r.item().isEmpty() ? r.item().get("p").b().asByteArray() : null);
    }

    @Override
    public CompletableFuture<Long> put(String pk, String sk, byte[] payload) {
        Map<String, AttributeValue> values = new HashMap<>(4);
        values.put(":p", AttributeValue.fromB(SdkBytes.fromByteArray(payload)));
        values.put(":zero", AttributeValue.fromN("0"));
        values.put(":one", AttributeValue.fromN("1"));
        return dynamo.updateItem(b -> b.tableName(TABLE).key(key(pk, sk))
                        .updateExpression("SET #p = :p, #v = if_not_exists(#v, :zero) + :one")
                        .expressionAttributeNames(Map.of("#p", "p", "#v", "v"))
                        .expressionAttributeValues(values)
                        .returnValues(ReturnValue.UPDATED_NEW))
                .thenApply(r -> Long.parseLong(r.attributes().get("v").n()));
    }

    @Override
    public CompletableFuture<Long> query(String pk, String prefix) {
        return queryFrom(pk, prefix, null, 0L);
    }

    private CompletableFuture<Long> queryFrom(String pk, String prefix, Map<String, AttributeValue> start, long bytesSoFar) {
        QueryRequest.Builder b = QueryRequest.builder().tableName(TABLE)
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
     * {@code BatchWriteItem} in chunks of 25, one chunk after another, unprocessed items sent
     * again at once until none are left (DynamoDB Local does not throttle).
     */
    @Override
    public CompletableFuture<Void> load(List<Entry> items) {
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (int i = 0; i < items.size(); i += BATCH) {
            List<WriteRequest> chunk = new ArrayList<>(BATCH);
            for (Entry e : items.subList(i, Math.min(items.size(), i + BATCH))) {
                Map<String, AttributeValue> item = key(e.pk(), e.sk());
                item.put("v", AttributeValue.fromN("1"));
                item.put("p", AttributeValue.fromB(SdkBytes.fromByteArray(e.payload())));
                chunk.add(WriteRequest.builder().putRequest(PutRequest.builder().item(item).build()).build());
            }
            chain = chain.thenCompose(v -> write(Map.of(TABLE, chunk)));
        }
        return chain;
    }

    private CompletableFuture<Void> write(Map<String, List<WriteRequest>> requests) {
        return dynamo.batchWriteItem(b -> b.requestItems(requests)).thenCompose((BatchWriteItemResponse r) ->
                r.hasUnprocessedItems() && !r.unprocessedItems().isEmpty()
                        ? write(r.unprocessedItems()) : CompletableFuture.completedFuture(null));
    }

    @Override
    public void close() {
        dynamo.close();
        http.close();
        eventLoop.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }
}
