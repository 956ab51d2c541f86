package dev.polystore.dynamodb;

import dev.polystore.Capabilities;
import dev.polystore.Capability;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.ConfigurationException;
import dev.polystore.Direction;
import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.KeyRange;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import dev.polystore.BatchWriteException;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import dev.polystore.spi.ImportMode;
import dev.polystore.spi.ImportOutcome;
import dev.polystore.spi.ScanPlan;
import dev.polystore.spi.ScanPage;
import dev.polystore.spi.TableNames;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import java.util.concurrent.atomic.AtomicInteger;
import dev.polystore.spi.SortKeys;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DeleteRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;
import software.amazon.awssdk.services.dynamodb.waiters.DynamoDbAsyncWaiter;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * The DynamoDB engine: one table per store ({@code table_prefix + store}), items laid out as
 * {@link Items} describes, every request sent with the SDK's async client (no thread waits on
 * a request), every read strongly consistent, never a {@code Scan} on a request path (only for
 * {@code Capability.SCAN}: parallel {@code Scan} with {@code Segment}/{@code TotalSegments}).
 *
 * <p><b>Versions and conditions.</b> Conditional puts are {@code PutItem}s whose condition
 * expression checks "absent or expired" or "live with version n"; "if exists" and unconditional
 * puts are {@code UpdateItem}s computing {@code v + 1} on the server ({@code if_not_exists} for
 * new items), and an unconditional put over an expired item is a {@code PutItem} with version 1
 * guarded by "still expired". Expiry is decided by the context clock, passed as {@code :now}.
 *
 * <p><b>Ambiguous outcomes.</b> Every write stores a unique write token ({@code wt}, see {@link WriteTokens}). When a
 * write fails its condition, DynamoDB returns the item as it is ({@code
 * ReturnValuesOnConditionCheckFailure = ALL_OLD}): if it carries this write's token, an
 * earlier attempt of the same call succeeded and the write reports success. If it does not, and
 * {@link AttemptLog} shows an earlier attempt may have been applied, the write reports
 * {@link OutcomeUnknownException}; a condition failure is reported only when it is certain.
 *
 * <p><b>Transactions</b> are one {@code TransactWriteItems} with a fresh client request token
 * (the SDK resends it on retries, so a retried transaction applies once). Conditional puts
 * know their new version up front; for unconditional and "if exists" puts the current versions
 * are read first (consistent {@code BatchGetItem}) and turned into version conditions; if
 * another writer gets in between, the transaction is cancelled and tried again with fresh
 * reads (pinning the versions the cancellation returned), within the bulk call timeout; see
 * {@link Transactions} for how contention on one item is kept from failing transactions.
 *
 * <p><b>Batches.</b> {@code BatchGetItem} in chunks of 100 and {@code BatchWriteItem} (for
 * deletes) in chunks of 25, unprocessed keys retried with exponential backoff and jitter at most
 * {@code batchRetries} times, then reported key by key. {@code BatchWriteItem} cannot compute
 * versions, so batch puts are sent as concurrent single-item unconditional puts (same version
 * rules as {@link #put}); failures are reported per key with {@link BatchWriteException}.
 *
 * <p><b>Timeouts.</b> Every request carries the SDK call and attempt timeouts of its class
 * ({@link Timeouts}): a few seconds for single-item requests, more for queries, batches and
 * transactions, so no call waits on a hung path for long.
 *
 * <p><b>Close</b> drains: every SPI call is admitted through {@link InFlight}; {@link #close()}
 * stops admitting calls, waits up to {@code close_grace_ms} for the admitted ones to answer
 * (their later rounds still run), fails what is left (with {@link OutcomeUnknownException} only
 * for writes that may have been sent), and only then closes the SDK client.
 *
 * <p>Every SPI method returns a future and never throws: its body ({@code xxxAsync}) runs under
 * {@link InFlight#run}, so a synchronous failure becomes a failed future. Thread-safe.
 */
final class DynamoDbBackend implements StorageBackend {
    private static final Logger LOG = LoggerFactory.getLogger(DynamoDbBackend.class);

    static final String NAME = "dynamodb";
    /** DynamoDB's {@code TransactWriteItems} limits. */
    static final int MAX_TRANSACTION_ITEMS = 100;
    static final long MAX_TRANSACTION_BYTES = 4L * 1024 * 1024;
    /** DynamoDB's {@code BatchGetItem} and {@code BatchWriteItem} limits. */
    static final int MAX_BATCH_GET = 100;
    static final int MAX_BATCH_WRITE = 25;
    /** Retries of unprocessed batch items after the first request. */
    static final int DEFAULT_BATCH_RETRIES = 8;
    private static final long BATCH_BASE_DELAY_MS = 25;
    private static final long BATCH_MAX_DELAY_MS = 2_000;
    /** Rounds of an unconditional put racing with expiry and deletes, before giving up. */
    private static final int UPSERT_ROUNDS = 10;
    /** Query requests spent filling one page past expired items before returning it short. */
    private static final int QUERY_ROUND_TRIPS = 10;

    private final DynamoDbSettings settings;
    private final ClientFactory.Clients clients;
    private final DynamoDbAsyncClient dynamo;
    private final DynamoDbAsyncWaiter waiter;
    private final Clock clock;
    private final int batchRetries;
    private final Capabilities capabilities = new Capabilities(
            EnumSet.of(Capability.TRANSACTIONS, Capability.BATCH, Capability.EXPIRY, Capability.SCAN, Capability.IMPORT),
            MAX_TRANSACTION_ITEMS, MAX_TRANSACTION_BYTES, MAX_BATCH_GET, MAX_BATCH_WRITE);
    private final Map<String, String> prepared = new ConcurrentHashMap<>();
    private final InFlight inFlight = new InFlight(NAME);
    private final Timeouts timeouts;
    private final Transactions transactions;
    /** Write tokens and client request tokens: one random prefix per backend, then a counter. */
    private final WriteTokens tokens = new WriteTokens();

    DynamoDbBackend(DynamoDbSettings settings, ClientFactory.Clients clients, Clock clock, int batchRetries) {
        this.settings = settings;
        this.clients = clients;
        this.dynamo = clients.dynamo();
        this.waiter = dynamo.waiter();
        this.clock = clock;
        this.batchRetries = batchRetries;
        this.timeouts = new Timeouts(settings);
        this.transactions = new Transactions(dynamo, clock, this::table, this::consistentReads, tokens, timeouts,
                settings.bulkCallTimeout());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    // ------------------------------------------------------------------ tables

    @Override
    public CompletableFuture<Void> prepareTable(String store) {
        return inFlight.run("preparing the table of store '" + store + "'", null, false, call -> prepareAsync(store));
    }

    private CompletableFuture<Void> prepareAsync(String store) {
        String table = settings.tableName(store);
        if (table.length() < 3) {
            return CompletableFuture.failedFuture(new ConfigurationException("DynamoDB table name '" + table
                    + "' (store '" + store + "') is shorter than the 3 characters DynamoDB requires: set "
                    + "storage.dynamodb.table_prefix (e.g. \"app_\")"));
        }
        return guard(() -> dynamo.describeTable(b -> b.tableName(table).overrideConfiguration(timeouts.single()))
                .handle((r, e) -> {
                    if (e == null) {
                        return checkExisting(store, r.table());
                    }
                    Throwable t = Errors.unwrap(e);
                    if (t instanceof ResourceNotFoundException) {
                        return createTable(store, table);
                    }
                    return CompletableFuture.<Void>failedFuture(Errors.read("describing DynamoDB table '" + table + "'", t));
                })
                .thenCompose(f -> f)
                .thenRun(() -> prepared.put(store, table)));
    }

    private CompletableFuture<Void> checkExisting(String store, TableDescription d) {
        Map<String, KeyType> schema = new HashMap<>();
        d.keySchema().forEach(k -> schema.put(k.attributeName(), k.keyType()));
        if (!(schema.size() == 2 && schema.get(Items.PK) == KeyType.HASH && schema.get(Items.SK) == KeyType.RANGE)) {
            return CompletableFuture.failedFuture(new ConfigurationException("DynamoDB table '" + d.tableName()
                    + "' (store '" + store + "') has key schema " + d.keySchema() + "; Polystore needs hash key '"
                    + Items.PK + "' (S) and range key '" + Items.SK + "' (S): choose another "
                    + "storage.dynamodb.table_prefix or see docs/dynamodb.md"));
        }
        if (d.tableStatus() == TableStatus.CREATING) {
            return waitUntilActive(d.tableName());
        }
        return CompletableFuture.completedFuture(null);
    }

    private CompletableFuture<Void> createTable(String store, String table) {
        if (!settings.createTables()) {
            return CompletableFuture.failedFuture(new ConfigurationException("DynamoDB table '" + table + "' for store '"
                    + store + "' does not exist (" + settings.describe() + "). Create it with hash key '" + Items.PK
                    + "' (S) and range key '" + Items.SK + "' (S) (see docs/dynamodb.md), or set "
                    + "storage.dynamodb.create_tables = true to let Polystore create it"));
        }
        CreateTableRequest request = CreateTableRequest.builder()
                .tableName(table)
                .billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(
                        AttributeDefinition.builder().attributeName(Items.PK).attributeType(ScalarAttributeType.S).build(),
                        AttributeDefinition.builder().attributeName(Items.SK).attributeType(ScalarAttributeType.S).build())
                .keySchema(
                        KeySchemaElement.builder().attributeName(Items.PK).keyType(KeyType.HASH).build(),
                        KeySchemaElement.builder().attributeName(Items.SK).keyType(KeyType.RANGE).build())
                .overrideConfiguration(timeouts.bulk())
                .build();
        LOG.info("Creating DynamoDB table {} for store {} (on-demand billing)", table, store);
        return dynamo.createTable(request)
                .handle((r, e) -> {
                    Throwable t = e == null ? null : Errors.unwrap(e);
                    if (t == null || t instanceof ResourceInUseException) {
                        return waitUntilActive(table).thenCompose(v -> enableTtl(table));
                    }
                    return CompletableFuture.<Void>failedFuture(Errors.read("creating DynamoDB table '" + table + "'", t));
                })
                .thenCompose(f -> f);
    }

    private CompletableFuture<Void> waitUntilActive(String table) {
        return waiter.waitUntilTableExists(b -> b.tableName(table).overrideConfiguration(timeouts.single()),
                        o -> o.waitTimeout(settings.tableWaitTimeout()))
                .handle((r, e) -> {
                    if (e != null) {
                        throw Errors.read("waiting for DynamoDB table '" + table + "' to become active", e);
                    }
                    if (r.matched().exception().isPresent()) {
                        throw Errors.read("waiting for DynamoDB table '" + table + "' to become active",
                                r.matched().exception().get());
                    }
                    return null;
                });
    }

    /** TTL lets DynamoDB delete expired items eventually; reads never depend on it. */
    private CompletableFuture<Void> enableTtl(String table) {
        return dynamo.updateTimeToLive(b -> b.tableName(table)
                        .timeToLiveSpecification(s -> s.attributeName(Items.EXPIRES).enabled(true))
                        .overrideConfiguration(timeouts.bulk()))
                .handle((r, e) -> {
                    if (e != null) {
                        LOG.warn("Could not enable TTL on attribute '{}' of DynamoDB table {}; expired items are still "
                                + "never returned, but stay stored until deleted: {}", Items.EXPIRES, table,
                                Errors.describe(Errors.unwrap(e)));
                    }
                    return null;
                });
    }

    // ------------------------------------------------------------------ reads

    @Override
    public CompletableFuture<Optional<RawItem>> get(String store, Key key) {
        return inFlight.run("a get from store '" + store + "'", key, false, call -> getAsync(store, key));
    }

    private CompletableFuture<Optional<RawItem>> getAsync(String store, Key key) {
        String table = table(store);
        long now = nowSeconds();
        GetItemRequest request = GetItemRequest.builder().tableName(table).key(Items.key(key)).consistentRead(true)
                .overrideConfiguration(timeouts.single()).build();
        return guard(() -> dynamo.getItem(request).handle((r, e) -> {
            if (e != null) {
                throw Errors.read("get " + key + " from store '" + store + "'", e);
            }
            return Items.live(r.item(), now) ? Optional.of(Items.toRaw(r.item(), table)) : Optional.<RawItem>empty();
        }));
    }

    @Override
    public CompletableFuture<RawPage> query(QuerySpec q) {
        return inFlight.run("a query of store '" + q.table() + "'", null, false, call -> queryAsync(q));
    }

    private CompletableFuture<RawPage> queryAsync(QuerySpec q) {
        String table = table(q.table());
        String start = q.exclusiveStartSk();
        if (start != null) {
            switch (startPosition(q.range(), q.direction(), start)) {
                case PAST_RANGE:
                    return CompletableFuture.completedFuture(new RawPage(List.of(), null));
                case BEFORE_RANGE:
                    start = null;
                    break;
                default:
                    break;
            }
        }
        long now = nowSeconds();
        List<RawItem> items = new ArrayList<>();
        String from = start;
        return guard(() -> queryRound(q, table, now, from, items, 1));
    }

    private CompletableFuture<RawPage> queryRound(QuerySpec q, String table, long now, String start, List<RawItem> items,
                                                  int round) {
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":pk", AttributeValue.fromS(q.pk()));
        values.put(":now", Items.number(now));
        String keyCondition = "#pk = :pk" + rangeCondition(q.range(), values);
        String filter = Items.NOT_EXPIRED;
        QueryRequest.Builder b = QueryRequest.builder()
                .tableName(table)
                .keyConditionExpression(keyCondition)
                .filterExpression(filter)
                .expressionAttributeNames(Items.names(keyCondition, filter))
                .expressionAttributeValues(Items.values(values, keyCondition, filter))
                .scanIndexForward(q.direction() == Direction.ASCENDING)
                .consistentRead(true)
                // One more than needed, to know whether another item follows without a further request.
                .limit(q.limit() - items.size() + 1)
                .overrideConfiguration(timeouts.bulk());
        if (start != null) {
            b.exclusiveStartKey(Items.key(Key.of(q.pk(), start)));
        }
        return dynamo.query(b.build()).handle((r, e) -> {
            if (e != null) {
                throw Errors.read("query of partition '" + q.pk() + "' in store '" + q.table() + "'", e);
            }
            return r;
        }).thenCompose(r -> {
            for (Map<String, AttributeValue> m : r.items()) {
                if (!Items.live(m, now)) {
                    continue;
                }
                if (items.size() == q.limit()) {
                    return CompletableFuture.completedFuture(new RawPage(items, items.get(items.size() - 1).key().sk()));
                }
                items.add(Items.toRaw(m, table));
            }
            if (!r.hasLastEvaluatedKey() || r.lastEvaluatedKey().isEmpty()) {
                return CompletableFuture.completedFuture(new RawPage(items, null));
            }
            String next = r.lastEvaluatedKey().get(Items.SK).s();
            if (round >= QUERY_ROUND_TRIPS) {
                // Every item between the last returned and `next` was expired: resuming at `next` is exact.
                return CompletableFuture.completedFuture(new RawPage(items, next));
            }
            return queryRound(q, table, now, next, items, round + 1);
        });
    }

    private static String rangeCondition(KeyRange range, Map<String, AttributeValue> values) {
        if (range instanceof KeyRange.Prefix p) {
            values.put(":prefix", AttributeValue.fromS(p.prefix()));
            return " AND begins_with(#sk, :prefix)";
        } else if (range instanceof KeyRange.Between bt) {
            values.put(":from", AttributeValue.fromS(bt.from()));
            values.put(":to", AttributeValue.fromS(bt.to()));
            return " AND #sk BETWEEN :from AND :to";
        } else if (range instanceof KeyRange.AtLeast a) {
            values.put(":from", AttributeValue.fromS(a.from()));
            return " AND #sk >= :from";
        } else if (range instanceof KeyRange.AtMost a) {
            values.put(":to", AttributeValue.fromS(a.to()));
            return " AND #sk <= :to";
        }
        return "";
    }

    enum StartPosition { IN_RANGE, BEFORE_RANGE, PAST_RANGE }

    /**
     * Where a resume key lies relative to the range, in the query's direction. DynamoDB rejects
     * an {@code ExclusiveStartKey} outside the key condition, so one before the range is
     * dropped and one past it ends the query.
     */
    static StartPosition startPosition(KeyRange range, Direction direction, String start) {
        int below; // < 0: start sorts below the range, > 0: above it, 0: inside
        if (range instanceof KeyRange.Prefix p) {
            below = start.startsWith(p.prefix()) ? 0 : Integer.signum(SortKeys.compare(start, p.prefix()));
        } else if (range instanceof KeyRange.Between b) {
            below = SortKeys.compare(start, b.from()) < 0 ? -1 : SortKeys.compare(start, b.to()) > 0 ? 1 : 0;
        } else if (range instanceof KeyRange.AtLeast a) {
            below = SortKeys.compare(start, a.from()) < 0 ? -1 : 0;
        } else if (range instanceof KeyRange.AtMost a) {
            below = SortKeys.compare(start, a.to()) > 0 ? 1 : 0;
        } else {
            below = 0;
        }
        if (below == 0) {
            return StartPosition.IN_RANGE;
        }
        boolean ascending = direction == Direction.ASCENDING;
        return (below < 0) == ascending ? StartPosition.BEFORE_RANGE : StartPosition.PAST_RANGE;
    }

    @Override
    public CompletableFuture<List<RawItem>> batchGet(String store, List<Key> keys) {
        return inFlight.run("a batch get of " + keys.size() + " keys from store '" + store + "'", null, false,
                call -> batchGetAsync(store, keys));
    }

    private CompletableFuture<List<RawItem>> batchGetAsync(String store, List<Key> keys) {
        String table = table(store);
        long now = nowSeconds();
        List<CompletableFuture<Map<String, List<Map<String, AttributeValue>>>>> parts = new ArrayList<>();
        for (int i = 0; i < keys.size(); i += MAX_BATCH_GET) {
            List<Map<String, AttributeValue>> chunk = new ArrayList<>();
            keys.subList(i, Math.min(keys.size(), i + MAX_BATCH_GET)).forEach(k -> chunk.add(Items.key(k)));
            parts.add(guard(() -> readRound(Map.of(table, chunk), new HashMap<>(), 0)));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).handle((v, e) -> {
            if (e != null) {
                throw Errors.read("batch get from store '" + store + "'", e);
            }
            List<RawItem> found = new ArrayList<>();
            for (CompletableFuture<Map<String, List<Map<String, AttributeValue>>>> part : parts) {
                for (Map<String, AttributeValue> m : part.join().getOrDefault(table, List.of())) {
                    if (Items.live(m, now)) {
                        found.add(Items.toRaw(m, table));
                    }
                }
            }
            return found;
        });
    }

    /** Consistent reads of at most 100 keys over any tables, by table name; for transactions. */
    CompletableFuture<Map<String, List<Map<String, AttributeValue>>>> consistentReads(
            Map<String, List<Map<String, AttributeValue>>> keys) {
        return readRound(keys, new HashMap<>(), 0);
    }

    /**
     * One consistent {@code BatchGetItem} (at most 100 keys over any tables), then its
     * unprocessed keys again with backoff, at most {@code batchRetries} more times.
     */
    private CompletableFuture<Map<String, List<Map<String, AttributeValue>>>> readRound(
            Map<String, List<Map<String, AttributeValue>>> keys, Map<String, List<Map<String, AttributeValue>>> found,
            int retry) {
        Map<String, KeysAndAttributes> request = new HashMap<>();
        keys.forEach((table, k) -> request.put(table, KeysAndAttributes.builder().keys(k).consistentRead(true).build()));
        return dynamo.batchGetItem(BatchGetItemRequest.builder().requestItems(request)
                .overrideConfiguration(timeouts.bulk()).build()).thenCompose(r -> {
            r.responses().forEach((table, items) -> found.computeIfAbsent(table, t -> new ArrayList<>()).addAll(items));
            Map<String, List<Map<String, AttributeValue>>> unprocessed = new HashMap<>();
            r.unprocessedKeys().forEach((table, ka) -> {
                if (ka.hasKeys() && !ka.keys().isEmpty()) {
                    unprocessed.put(table, ka.keys());
                }
            });
            if (unprocessed.isEmpty()) {
                return CompletableFuture.completedFuture(found);
            }
            if (retry >= batchRetries) {
                List<String> missing = new ArrayList<>();
                unprocessed.forEach((table, k) -> k.forEach(m -> missing.add(table + " " + keyOf(m))));
                return CompletableFuture.failedFuture(new UnavailableException("DynamoDB left " + missing.size()
                        + " key(s) of a batch get unprocessed after " + (retry + 1) + " requests (throttled?): "
                        + missing + ". Nothing is wrong with the keys; retry later", null));
            }
            return delay(retry).thenCompose(v -> readRound(unprocessed, found, retry + 1));
        });
    }

    // ------------------------------------------------------------------ single writes

    @Override
    public CompletableFuture<Long> put(WriteOp.Put op) {
        return inFlight.run("a put to store '" + op.table() + "'", op.key(), true, call -> putAsync(op, call));
    }

    private CompletableFuture<Long> putAsync(WriteOp.Put op, InFlight.Call call) {
        String table = table(op.table());
        String token = newToken();
        Condition c = op.condition();
        return guard(() -> {
            if (c instanceof Condition.IfAbsent) {
                return putItem(op, call, table, token, 1, Items.ABSENT, Map.of(), false);
            } else if (c instanceof Condition.IfVersion v) {
                return putItem(op, call, table, token, v.version() + 1, Items.VERSION_IS,
                        Map.of(":expected", Items.number(v.version())), false);
            } else if (c instanceof Condition.IfExists) {
                return updateItem(op, call, table, token, "#v + :one", Items.LIVE, false).thenCompose(r -> {
                    if (r.failedOver != null) {
                        return CompletableFuture.failedFuture(conditionFailed(op, r.failedOver, r.now, -1, r.failure));
                    }
                    return CompletableFuture.completedFuture(r.version);
                });
            }
            return upsert(op, call, table, token, 1);
        });
    }

    /** Outcome of an UpdateItem: the new version, or the live/absent item its condition failed over. */
    private record UpdateResult(long version, Map<String, AttributeValue> failedOver, long now, Throwable failure) {
    }

    /**
     * {@code PutItem} of a whole new item version under {@code condition}. With
     * {@code internalCondition} the condition is this backend's (an unconditional put's step),
     * not the caller's: its failure is reported as a plain {@link ConditionFailedException} for
     * the caller to act on, never as an unknown outcome.
     */
    private CompletableFuture<Long> putItem(WriteOp.Put op, InFlight.Call call, String table, String token, long version,
                                            String condition, Map<String, AttributeValue> extraValues,
                                            boolean internalCondition) {
        long now = nowSeconds();
        AttemptLog log = call.newLog();
        Map<String, AttributeValue> values = new HashMap<>(extraValues);
        values.put(":now", Items.number(now));
        PutItemRequest request = PutItemRequest.builder()
                .tableName(table)
                .item(Items.item(op.key(), op.payload(), version, op.expiresAt(), token))
                .conditionExpression(condition)
                .expressionAttributeNames(Items.names(condition))
                .expressionAttributeValues(Items.values(values, condition))
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
                .overrideConfiguration(timeouts.single(log))
                .build();
        return dynamo.putItem(request).handle((r, e) -> {
            if (e == null) {
                return version;
            }
            Throwable t = Errors.unwrap(e);
            if (t instanceof ConditionalCheckFailedException ccf) {
                Map<String, AttributeValue> current = ccf.hasItem() ? ccf.item() : null;
                if (token.equals(Items.token(current))) {
                    LOG.debug("Put of {} was applied by an earlier attempt ({}); reporting success", op.key(), log);
                    return Items.versionOrNone(current);
                }
                if (!internalCondition && log.earlierAttemptMayHaveApplied()) {
                    throw unknown(op, log, t);
                }
                throw conditionFailed(op, current, now, -1, t);
            }
            throw Errors.write(describe(op), op.key(), t, log);
        });
    }

    /**
     * {@code UpdateItem} setting payload, expiry and token and {@code v = <versionExpression>},
     * under {@code condition AND NOT_MINE}. A condition failure over this write's own token is
     * an earlier attempt's success; {@code internalCondition} as for {@link #putItem}.
     */
    private CompletableFuture<UpdateResult> updateItem(WriteOp.Put op, InFlight.Call call, String table, String token,
                                                       String versionExpression, String condition,
                                                       boolean internalCondition) {
        long now = nowSeconds();
        AttemptLog log = call.newLog();
        String update = "SET #p = :p, #wt = :wt, #v = " + versionExpression
                + (op.expiresAt() != null ? ", #exp = :exp" : " REMOVE #exp");
        String fullCondition = condition + " AND " + Items.NOT_MINE;
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":p", AttributeValue.fromB(software.amazon.awssdk.core.SdkBytes.fromByteArray(op.payload())));
        values.put(":wt", AttributeValue.fromS(token));
        values.put(":one", Items.number(1));
        values.put(":zero", Items.number(0));
        values.put(":now", Items.number(now));
        if (op.expiresAt() != null) {
            values.put(":exp", Items.number(op.expiresAt().getEpochSecond()));
        }
        UpdateItemRequest request = UpdateItemRequest.builder()
                .tableName(table)
                .key(Items.key(op.key()))
                .updateExpression(update)
                .conditionExpression(fullCondition)
                .expressionAttributeNames(Items.names(update, fullCondition))
                .expressionAttributeValues(Items.values(values, update, fullCondition))
                .returnValues(ReturnValue.UPDATED_NEW)
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
                .overrideConfiguration(timeouts.single(log))
                .build();
        return dynamo.updateItem(request).handle((r, e) -> {
            if (e == null) {
                return new UpdateResult(Items.versionOrNone(r.attributes()), null, now, null);
            }
            Throwable t = Errors.unwrap(e);
            if (t instanceof ConditionalCheckFailedException ccf) {
                Map<String, AttributeValue> current = ccf.hasItem() ? ccf.item() : Map.of();
                if (token.equals(Items.token(current))) {
                    LOG.debug("Update of {} was applied by an earlier attempt ({}); reporting success", op.key(), log);
                    return new UpdateResult(Items.versionOrNone(current), null, now, null);
                }
                if (!internalCondition && log.earlierAttemptMayHaveApplied()) {
                    throw unknown(op, log, t);
                }
                return new UpdateResult(-1, current, now, t);
            }
            throw Errors.write(describe(op), op.key(), t, log);
        });
    }

    /**
     * An unconditional put: {@code v = if_not_exists(v, 0) + 1} unless the item is expired (an
     * expired item's version must not carry over), then a {@code PutItem} with version 1 while
     * it stays expired; repeated if other writers change the item in between.
     */
    private CompletableFuture<Long> upsert(WriteOp.Put op, InFlight.Call call, String table, String token, int round) {
        if (round > UPSERT_ROUNDS) {
            return CompletableFuture.failedFuture(new UnavailableException(describe(op) + " lost " + UPSERT_ROUNDS
                    + " races in a row with writers that expire or recreate the item; retry later", null));
        }
        // Both steps' conditions are internal: an unconditional put may always go ahead, so after
        // an ambiguous attempt it simply writes again (its own token makes a repeat a no-op).
        return updateItem(op, call, table, token, "if_not_exists(#v, :zero) + :one", Items.NOT_EXPIRED, true)
                .thenCompose(r -> {
            if (r.failedOver == null) {
                return CompletableFuture.completedFuture(r.version);
            }
            // The item is there but expired: start again at version 1, if it is still expired.
            return putItem(op, call, table, token, 1, Items.ABSENT, Map.of(), true).handle((v, e) -> {
                if (e == null) {
                    return CompletableFuture.completedFuture(v);
                }
                if (Errors.unwrap(e) instanceof ConditionFailedException) {
                    return upsert(op, call, table, token, round + 1); // someone revived it meanwhile
                }
                return CompletableFuture.<Long>failedFuture(Errors.unwrap(e));
            }).thenCompose(f -> f);
        });
    }

    @Override
    public CompletableFuture<Boolean> delete(WriteOp.Delete op) {
        return inFlight.run("a delete from store '" + op.table() + "'", op.key(), true, call -> deleteAsync(op, call));
    }

    /**
     * A {@code DeleteItem} returning the old item. After an ambiguous earlier attempt the answer
     * is judged like a put's: a failed condition is an unknown outcome (a delete leaves no token
     * to recognise), while an unconditional delete that was applied is a success whatever
     * happened before (the item is gone), reported as {@code true} when the answering attempt
     * found nothing (an earlier attempt may have deleted it: see {@code Store.delete}).
     */
    private CompletableFuture<Boolean> deleteAsync(WriteOp.Delete op, InFlight.Call call) {
        String table = table(op.table());
        long now = nowSeconds();
        Condition c = op.condition();
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":now", Items.number(now));
        String condition;
        switch (c.kind()) {
            case NONE -> condition = null;
            case IF_EXISTS -> condition = Items.LIVE;
            case IF_VERSION -> {
                condition = Items.VERSION_IS;
                values.put(":expected", Items.number(c.expectedVersion()));
            }
            default -> {
                return CompletableFuture.failedFuture(new ValidationException("\"" + c + "\" is not a condition for delete: "
                        + "use none, if exists or if version"));
            }
        }
        AttemptLog log = call.newLog();
        DeleteItemRequest.Builder b = DeleteItemRequest.builder()
                .tableName(table)
                .key(Items.key(op.key()))
                .returnValues(ReturnValue.ALL_OLD)
                .overrideConfiguration(timeouts.single(log));
        if (condition != null) {
            b.conditionExpression(condition)
                    .expressionAttributeNames(Items.names(condition))
                    .expressionAttributeValues(Items.values(values, condition))
                    .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD);
        }
        DeleteItemRequest request = b.build();
        return guard(() -> dynamo.deleteItem(request).handle((r, e) -> {
            if (e == null) {
                boolean existed = Items.live(r.attributes(), now);
                if (!existed && log.earlierAttemptMayHaveApplied()) {
                    // Applied: the item is gone. Only whether it was there is unknown (an earlier
                    // attempt may have deleted it): "an item may have been deleted by this call".
                    LOG.debug("Delete from store '{}' was applied after an ambiguous attempt ({}); whether an item "
                            + "was there is unknown, reporting true", op.table(), log);
                    return true;
                }
                return existed;
            }
            Throwable t = Errors.unwrap(e);
            if (t instanceof ConditionalCheckFailedException ccf) {
                if (log.earlierAttemptMayHaveApplied()) {
                    throw unknown(op, log, t);
                }
                throw conditionFailed(op, ccf.hasItem() ? ccf.item() : null, now, -1, t);
            }
            throw Errors.write(describe(op), op.key(), t, log);
        }));
    }

    // ------------------------------------------------------------------ batch writes

    @Override
    public CompletableFuture<Void> batchWrite(String store, List<WriteOp> writes) {
        return inFlight.runComposite("a batch write of " + writes.size() + " items to store '" + store + "'", true,
                call -> batchWriteAsync(store, writes));
    }

    /**
     * Puts as concurrent single puts (each admitted on its own), deletes as {@code BatchWriteItem}
     * chunks (each admitted on its own); then every failed key reported, as not written or, when
     * its write may have been applied, in doubt.
     */
    private CompletableFuture<Void> batchWriteAsync(String store, List<WriteOp> writes) {
        String table = table(store);
        Map<Key, Throwable> failed = new ConcurrentHashMap<>();
        List<CompletableFuture<?>> parts = new ArrayList<>();
        List<Map<String, AttributeValue>> deletes = new ArrayList<>();
        for (WriteOp op : writes) {
            if (op instanceof WriteOp.Put p) {
                WriteOp.Put unconditional = new WriteOp.Put(p.table(), p.key(), p.payload(), p.expiresAt(), Condition.none());
                parts.add(put(unconditional).handle((v, e) -> {
                    if (e != null) {
                        failed.put(p.key(), Errors.unwrap(e));
                    }
                    return null;
                }));
            } else if (op instanceof WriteOp.Delete) {
                deletes.add(Items.key(op.key()));
            } else {
                failed.put(op.key(), new ValidationException("a batch holds puts and deletes only, not " + op));
            }
        }
        for (int i = 0; i < deletes.size(); i += MAX_BATCH_WRITE) {
            List<Map<String, AttributeValue>> keys = deletes.subList(i, Math.min(deletes.size(), i + MAX_BATCH_WRITE));
            List<WriteRequest> chunk = new ArrayList<>();
            keys.forEach(k -> chunk.add(WriteRequest.builder().deleteRequest(DeleteRequest.builder().key(k).build()).build()));
            Map<Key, Throwable> chunkFailures = new ConcurrentHashMap<>();
            parts.add(inFlight.run("a batch delete of " + chunk.size() + " keys from store '" + store + "'", null, true,
                            call -> writeRound(table, chunk, 0, chunkFailures, call))
                    .handle((v, e) -> {
                        if (e != null) {
                            // Cut off at close (or failed unexpectedly): every key of the chunk gets that answer.
                            Throwable cause = Errors.unwrap(e);
                            keys.forEach(k -> failed.put(keyOf(k), cause));
                        } else {
                            failed.putAll(chunkFailures);
                        }
                        return null;
                    }));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenCompose(v -> {
            if (failed.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            return CompletableFuture.failedFuture(batchFailure(store, writes.size(), failed));
        });
    }

    /** Failed keys sorted into "not written" and "in doubt" (an {@link OutcomeUnknownException}). */
    static BatchWriteException batchFailure(String store, int total, Map<Key, Throwable> failed) {
        List<Key> unprocessed = new ArrayList<>();
        List<Key> inDoubt = new ArrayList<>();
        boolean retryable = true;
        Throwable first = null;
        for (Map.Entry<Key, Throwable> f : failed.entrySet()) {
            Throwable cause = f.getValue();
            if (cause instanceof OutcomeUnknownException) {
                inDoubt.add(f.getKey());
            } else {
                unprocessed.add(f.getKey());
                retryable &= cause instanceof StoreException se && se.retryable();
                if (first == null) {
                    first = cause;
                }
            }
        }
        if (first == null) {
            first = failed.values().iterator().next();
        }
        String doubt = inDoubt.isEmpty() ? "" : "; " + inDoubt.size() + " may or may not have been applied (listed in "
                + "inDoubt(): read them back, or write them again)";
        return new BatchWriteException(unprocessed.size() + " of " + total + " batch writes to store '" + store
                + "' were not applied (listed in unprocessed())" + doubt + "; the others were. First cause: "
                + first.getMessage(), unprocessed, inDoubt, retryable, first);
    }

    /**
     * One {@code BatchWriteItem}; its unprocessed items again with backoff, then reported in
     * {@code failed}: not written when DynamoDB left them unprocessed or the request was never
     * sent, in doubt ({@link OutcomeUnknownException}) when the request may have been applied.
     */
    private CompletableFuture<Void> writeRound(String table, List<WriteRequest> requests, int retry,
                                               Map<Key, Throwable> failed, InFlight.Call call) {
        AttemptLog log = call.newLog();
        return dynamo.batchWriteItem(BatchWriteItemRequest.builder().requestItems(Map.of(table, requests))
                        .overrideConfiguration(timeouts.bulk(log)).build())
                .handle((r, e) -> {
                    if (e != null) {
                        String what = "batch delete of " + requests.size() + " item(s) from DynamoDB table '" + table + "'";
                        Throwable t = Errors.unwrap(e);
                        StoreException cause = log.mayHaveApplied()
                                ? new OutcomeUnknownException(what + " may or may not have been applied: " + log
                                        + ", ending with " + Errors.describe(t) + ". Read the items to learn their state",
                                        null, t)
                                : Errors.read(what, t);
                        requests.forEach(w -> failed.put(keyOf(w.deleteRequest().key()), cause));
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    List<WriteRequest> unprocessed = r.unprocessedItems().getOrDefault(table, List.of());
                    if (unprocessed.isEmpty()) {
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    if (retry >= batchRetries) {
                        UnavailableException cause = new UnavailableException("DynamoDB left " + unprocessed.size()
                                + " item(s) of a batch write unprocessed after " + (retry + 1)
                                + " requests (throttled?); retry later", null);
                        unprocessed.forEach(w -> failed.put(keyOf(w.deleteRequest().key()), cause));
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    return delay(retry).thenCompose(v -> writeRound(table, unprocessed, retry + 1, failed, call));
                })
                .thenCompose(f -> f);
    }

    // ------------------------------------------------------------------ scan and import

    /** Scan positions: {@code d1.<segment>.<total>[.<pk base64url>.<sk base64url>]} (ExclusiveStartKey). */
    private static final String POSITION_FORMAT = "d1";
    /** Conditional puts of an IF_NEWER import in flight per call. */
    static final int IMPORT_PUTS_IN_FLIGHT = 32;
    /** BatchWriteItem requests of an OVERWRITE import in flight per call. */
    static final int IMPORT_BATCHES_IN_FLIGHT = 8;
    /** Live with a version at least the imported one: what IF_NEWER keeps. */
    private static final String IMPORT_IF_NEWER = "(attribute_not_exists(#pk) OR #v < :v OR #exp <= :now)";

    @Override
    public CompletableFuture<List<String>> listTables() {
        return inFlight.run("listing the tables", null, false, call -> listRound(null, new ArrayList<>()));
    }

    private CompletableFuture<List<String>> listRound(String start, List<String> found) {
        return guard(() -> dynamo.listTables(b -> b.exclusiveStartTableName(start).limit(100)
                        .overrideConfiguration(timeouts.single()))
                .handle((r, e) -> {
                    if (e != null) {
                        throw Errors.read("listing DynamoDB tables", e);
                    }
                    for (String name : r.tableNames()) {
                        String prefix = settings.tablePrefix();
                        if (name.startsWith(prefix) && TableNames.isValid(name.substring(prefix.length()))) {
                            found.add(name.substring(prefix.length()));
                        }
                    }
                    return r.lastEvaluatedTableName();
                })
                .thenCompose(next -> next == null ? CompletableFuture.completedFuture(found) : listRound(next, found)));
    }

    /**
     * DynamoDB's parallel scan: segment {@code i} of {@code n} is {@code Segment = i},
     * {@code TotalSegments = n}, split by DynamoDB by hash. No read to plan; the estimate is
     * DescribeTable's item count (updated by DynamoDB about every six hours).
     */
    @Override
    public CompletableFuture<ScanPlan> scanSegments(String store, int segments) {
        return inFlight.run("planning a scan of store '" + store + "'", null, false, call -> {
            String table = table(store);
            return guard(() -> dynamo.describeTable(b -> b.tableName(table).overrideConfiguration(timeouts.single()))
                    .handle((r, e) -> {
                        if (e != null) {
                            throw Errors.read("describing DynamoDB table '" + table + "'", e);
                        }
                        List<String> positions = new ArrayList<>(segments);
                        for (int i = 0; i < segments; i++) {
                            positions.add(POSITION_FORMAT + "." + i + "." + segments);
                        }
                        Long count = r.table().itemCount();
                        return new ScanPlan(positions, count == null ? -1 : count);
                    }));
        });
    }

    /** A decoded scan position. */
    private record Position(int segment, int total, Key after) {
        String encode(Key next) {
            java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
            return POSITION_FORMAT + "." + segment + "." + total + "."
                    + b64.encodeToString(next.pk().getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "."
                    + b64.encodeToString(next.sk().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }

        static Position decode(String position) {
            String[] parts = position == null ? new String[0] : position.split("\\.", -1);
            try {
                if ((parts.length != 3 && parts.length != 5) || !parts[0].equals(POSITION_FORMAT)) {
                    throw new IllegalArgumentException("not a dynamodb scan position");
                }
                int segment = Integer.parseInt(parts[1]);
                int total = Integer.parseInt(parts[2]);
                if (total < 1 || segment < 0 || segment >= total) {
                    throw new IllegalArgumentException("segment out of range");
                }
                Key after = null;
                if (parts.length == 5) {
                    java.util.Base64.Decoder b64 = java.util.Base64.getUrlDecoder();
                    after = Key.of(new String(b64.decode(parts[3]), java.nio.charset.StandardCharsets.UTF_8),
                            new String(b64.decode(parts[4]), java.nio.charset.StandardCharsets.UTF_8));
                }
                return new Position(segment, total, after);
            } catch (IllegalArgumentException e) {
                throw new ValidationException("malformed scan position for the dynamodb backend (" + e.getMessage()
                        + "): positions belong to the engine that planned the scan");
            }
        }
    }

    @Override
    public CompletableFuture<ScanPage> scan(String store, String position, int limit) {
        return inFlight.run("a scan of store '" + store + "'", null, false, call -> {
            Position p = Position.decode(position);
            String table = table(store);
            long now = nowSeconds();
            ScanRequest.Builder b = ScanRequest.builder().tableName(table).limit(limit).consistentRead(true)
                    .overrideConfiguration(timeouts.bulk());
            if (p.total() > 1) {
                b.segment(p.segment()).totalSegments(p.total());
            }
            if (p.after() != null) {
                b.exclusiveStartKey(Items.key(p.after()));
            }
            return guard(() -> dynamo.scan(b.build()).handle((r, e) -> {
                if (e != null) {
                    throw Errors.read("scan of segment " + p.segment() + "/" + p.total() + " of store '" + store + "'", e);
                }
                List<RawItem> items = new ArrayList<>(r.items().size());
                int expired = 0;
                for (Map<String, AttributeValue> m : r.items()) {
                    if (Items.live(m, now)) {
                        items.add(Items.toRaw(m, table));
                    } else {
                        expired++;
                    }
                }
                String next = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty()
                        ? p.encode(keyOf(r.lastEvaluatedKey())) : null;
                return new ScanPage(items, next, expired);
            }));
        });
    }

    /**
     * {@code IF_NEWER}: one conditional {@code PutItem} per item ({@value #IMPORT_PUTS_IN_FLIGHT}
     * in flight), the condition "absent, expired or a lower version", the kept item's version
     * from the failed condition ({@code ALL_OLD}). {@code OVERWRITE}: {@code BatchWriteItem}s of
     * 25 puts ({@value #IMPORT_BATCHES_IN_FLIGHT} in flight), unprocessed items retried with
     * backoff. Items carry their own version and expiry and a write token.
     */
    @Override
    public CompletableFuture<List<ImportOutcome>> importItems(String store, List<RawItem> items, ImportMode mode) {
        return inFlight.run("an import of " + items.size() + " items into store '" + store + "'", null, true, call -> {
            String table = table(store);
            long now = nowSeconds();
            ImportOutcome[] outcomes = new ImportOutcome[items.size()];
            List<Integer> live = new ArrayList<>(items.size());
            for (int i = 0; i < items.size(); i++) {
                RawItem item = items.get(i);
                if (item.expiresAt() != null && item.expiresAt().getEpochSecond() <= now) {
                    outcomes[i] = ImportOutcome.expired();
                } else {
                    live.add(i);
                }
            }
            String token = newToken();
            CompletableFuture<Void> done = mode == ImportMode.IF_NEWER
                    ? window(live.size(), IMPORT_PUTS_IN_FLIGHT, j -> importOne(store, table, items.get(live.get(j)),
                            token, now, call).thenAccept(o -> outcomes[live.get(j)] = o))
                    : window((live.size() + MAX_BATCH_WRITE - 1) / MAX_BATCH_WRITE, IMPORT_BATCHES_IN_FLIGHT, c -> {
                        List<Integer> chunk = live.subList(c * MAX_BATCH_WRITE, Math.min(live.size(), (c + 1) * MAX_BATCH_WRITE));
                        return importBatch(store, table, items, chunk, token, outcomes, call);
                    });
            return done.thenApply(v -> List.of(outcomes));
        });
    }

    /** Runs {@code task(0 .. n-1)} with at most {@code width} running at once; completes when all have. */
    private static CompletableFuture<Void> window(int n, int width,
                                                  java.util.function.IntFunction<CompletableFuture<?>> task) {
        AtomicInteger next = new AtomicInteger();
        List<CompletableFuture<Void>> lanes = new ArrayList<>();
        for (int w = 0; w < Math.min(width, n); w++) {
            lanes.add(lane(next, n, task));
        }
        return CompletableFuture.allOf(lanes.toArray(CompletableFuture[]::new));
    }

    private static CompletableFuture<Void> lane(AtomicInteger next, int n,
                                                java.util.function.IntFunction<CompletableFuture<?>> task) {
        int i = next.getAndIncrement();
        if (i >= n) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<?> f;
        try {
            f = task.apply(i);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.handle((v, e) -> null).thenCompose(v -> lane(next, n, task));
    }

    private CompletableFuture<ImportOutcome> importOne(String store, String table, RawItem item, String token, long now,
                                                       InFlight.Call call) {
        AttemptLog log;
        try {
            log = call.newLog();
        } catch (StoreException e) {
            return CompletableFuture.completedFuture(ImportOutcome.failed(e));
        }
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":v", Items.number(item.version()));
        values.put(":now", Items.number(now));
        PutItemRequest request = PutItemRequest.builder()
                .tableName(table)
                .item(Items.item(item.key(), item.payload(), item.version(), item.expiresAt(), token))
                .conditionExpression(IMPORT_IF_NEWER)
                .expressionAttributeNames(Items.names(IMPORT_IF_NEWER))
                .expressionAttributeValues(Items.values(values, IMPORT_IF_NEWER))
                .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)
                .overrideConfiguration(timeouts.single(log))
                .build();
        return guard(() -> dynamo.putItem(request)).handle((r, e) -> {
            if (e == null) {
                return ImportOutcome.written();
            }
            Throwable t = Errors.unwrap(e);
            if (t instanceof ConditionalCheckFailedException ccf) {
                long kept = ccf.hasItem() ? Items.versionOrNone(ccf.item()) : -1;
                // Our own earlier attempt counts as kept at the same version: the import is idempotent.
                return ImportOutcome.kept(kept >= 1 ? kept : item.version());
            }
            StoreException failure = t instanceof StoreException se ? se
                    : Errors.write("import of an item into store '" + store + "'", item.key(), t, log);
            return ImportOutcome.failed(failure);
        });
    }

    private CompletableFuture<Void> importBatch(String store, String table, List<RawItem> items, List<Integer> chunk,
                                                String token, ImportOutcome[] outcomes, InFlight.Call call) {
        Map<Key, Integer> index = new HashMap<>();
        List<WriteRequest> requests = new ArrayList<>(chunk.size());
        for (int i : chunk) {
            RawItem item = items.get(i);
            index.put(item.key(), i);
            requests.add(WriteRequest.builder().putRequest(PutRequest.builder()
                    .item(Items.item(item.key(), item.payload(), item.version(), item.expiresAt(), token)).build()).build());
        }
        return importRound(store, table, requests, 0, index, outcomes, call);
    }

    private CompletableFuture<Void> importRound(String store, String table, List<WriteRequest> requests, int retry,
                                                Map<Key, Integer> index, ImportOutcome[] outcomes, InFlight.Call call) {
        AttemptLog log;
        try {
            log = call.newLog();
        } catch (StoreException e) {
            requests.forEach(w -> outcomes[index.get(keyOf(w.putRequest().item()))] = ImportOutcome.failed(e));
            return CompletableFuture.completedFuture(null);
        }
        return guard(() -> dynamo.batchWriteItem(BatchWriteItemRequest.builder().requestItems(Map.of(table, requests))
                        .overrideConfiguration(timeouts.bulk(log)).build()))
                .handle((r, e) -> {
                    Set<Key> unprocessed = new java.util.HashSet<>();
                    List<WriteRequest> again = new ArrayList<>();
                    if (e == null) {
                        for (WriteRequest w : r.unprocessedItems().getOrDefault(table, List.of())) {
                            unprocessed.add(keyOf(w.putRequest().item()));
                            again.add(w);
                        }
                    }
                    for (WriteRequest w : requests) {
                        Key k = keyOf(w.putRequest().item());
                        if (e != null) {
                            String what = "import of " + requests.size() + " item(s) into store '" + store + "'";
                            Throwable t = Errors.unwrap(e);
                            StoreException failure = log.mayHaveApplied()
                                    ? new OutcomeUnknownException(what + " may or may not have been applied: " + log
                                            + ", ending with " + Errors.describe(t) + "; importing again is safe", null, t)
                                    : Errors.read(what, t);
                            outcomes[index.get(k)] = ImportOutcome.failed(failure);
                        } else if (!unprocessed.contains(k)) {
                            outcomes[index.get(k)] = ImportOutcome.written();
                        }
                    }
                    if (again.isEmpty()) {
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    if (retry >= batchRetries) {
                        UnavailableException failure = new UnavailableException("DynamoDB left " + again.size()
                                + " item(s) of an import unprocessed after " + (retry + 1)
                                + " requests (throttled?); import them again later", null);
                        again.forEach(w -> outcomes[index.get(keyOf(w.putRequest().item()))] = ImportOutcome.failed(failure));
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    return delay(retry).thenCompose(v -> importRound(store, table, again, retry + 1, index, outcomes, call));
                })
                .thenCompose(f -> f);
    }

    // ------------------------------------------------------------------ transactions

    @Override
    public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
        return inFlight.run("a transaction of " + operations.size() + " operations", null, true,
                call -> transactions.commit(operations, call));
    }

    // ------------------------------------------------------------------ health, close

    /** Segments of a whole-table read for index builds: DynamoDB's parallel scan. */
    static final int SCAN_SEGMENTS = 4;


    /**
     * For {@code Storage.unwrap}: the SDK's {@code DynamoDbAsyncClient} this backend uses, behind a
     * view whose {@code close()} is refused (the backend owns the client and closes it with the
     * storage).
     */
    @Override
    public Map<Class<?>, Object> nativeHandles() {
        DynamoDbAsyncClient view = (DynamoDbAsyncClient) java.lang.reflect.Proxy.newProxyInstance(
                DynamoDbAsyncClient.class.getClassLoader(), new Class<?>[] {DynamoDbAsyncClient.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("close") && method.getParameterCount() == 0) {
                        throw new UnsupportedOperationException("the DynamoDB client handed out by Storage.unwrap "
                                + "belongs to the storage: close the storage instead");
                    }
                    try {
                        return method.invoke(dynamo, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return Map.of(DynamoDbAsyncClient.class, view);
    }

    @Override
    public CompletableFuture<Health> health() {
        long start = System.nanoTime();
        Map<String, String> details = new LinkedHashMap<>();
        details.put("region", settings.region());
        settings.endpointOverride().ifPresent(e -> details.put("endpoint", e.toString()));
        details.put("tables", String.valueOf(prepared.size()));
        return inFlight.run("a health check", null, false, call -> healthAsync(start, details))
                .exceptionally(e -> {
                    // Closed before or during the check.
                    details.put("error", Errors.describe(Errors.unwrap(e)));
                    return new Health(false, NAME, Duration.ofNanos(System.nanoTime() - start), details);
                });
    }

    private CompletableFuture<Health> healthAsync(long start, Map<String, String> details) {
        // DescribeTable on a table in use needs no permission beyond what prepareTable needed;
        // before any table is prepared, ListTables, where a refusal still proves the endpoint answers.
        Optional<String> anyTable = prepared.values().stream().findFirst();
        CompletableFuture<String> check = anyTable.isPresent()
                ? dynamo.describeTable(b -> b.tableName(anyTable.get()).overrideConfiguration(timeouts.single()))
                        .thenApply(r -> "table " + anyTable.get() + " " + r.table().tableStatusAsString())
                : dynamo.listTables(b -> b.limit(1).overrideConfiguration(timeouts.single()))
                        .thenApply(r -> "ListTables answered");
        return check.handle((checked, e) -> {
            Duration latency = Duration.ofNanos(System.nanoTime() - start);
            if (e != null) {
                Throwable t = Errors.unwrap(e);
                if (anyTable.isEmpty() && Errors.isAccessDenied(t)) {
                    details.put("check", "ListTables not allowed, but the endpoint answered");
                    return new Health(true, NAME, latency, details);
                }
                details.put("error", Errors.describe(t));
                return new Health(false, NAME, latency, details);
            }
            details.put("check", checked);
            return new Health(true, NAME, latency, details);
        });
    }

    /**
     * Stops admitting calls (new ones fail with {@link UnavailableException}), waits up to
     * {@code storage.dynamodb.close_grace_ms} for the calls in flight to be answered, fails those
     * still unanswered (a write that may have been sent with {@link OutcomeUnknownException},
     * anything else with {@link UnavailableException}), then closes the SDK client. When it
     * returns, every future this backend handed out is complete. Called from a thread that is
     * completing one of this backend's futures (a callback chained to it), it cannot wait for
     * itself: it then stops admitting calls and drains in the background.
     */
    @Override
    public void close() {
        if (!inFlight.shut()) {
            return;
        }
        if (InFlight.onCompletingThread()) {
            Thread drain = new Thread(this::drainAndRelease, "polystore-dynamodb-close");
            drain.setDaemon(true);
            drain.start();
            return;
        }
        drainAndRelease();
    }

    private void drainAndRelease() {
        Duration grace = settings.closeGrace();
        int pending = inFlight.pending();
        if (!inFlight.awaitDrained(grace)) {
            int cut = inFlight.cutOffRemaining(grace);
            LOG.warn("Closed the dynamodb backend with {} of {} call(s) still unanswered after close_grace_ms = {} ms; "
                    + "they were failed (writes that may have been sent as outcome unknown)", cut, pending,
                    grace.toMillis());
        }
        closeQuietly(waiter);
        closeQuietly(dynamo);
        closeQuietly(clients.http());
        // The threads wind down in the background once the client's connection-close tasks
        // have run (a short quiet period, never waited on here).
        clients.eventLoop().shutdownGracefully(100, 5_000, TimeUnit.MILLISECONDS);
        if (clients.credentials() instanceof SdkAutoCloseable c) {
            closeQuietly(c);
        }
    }

    private static void closeQuietly(SdkAutoCloseable c) {
        try {
            c.close();
        } catch (RuntimeException e) {
            LOG.warn("Closing {} failed", c.getClass().getSimpleName(), e);
        }
    }

    // ------------------------------------------------------------------ helpers

    /** The table of a store. Admission (and refusal once closed) is {@link InFlight}'s, not this lookup's. */
    private String table(String store) {
        String table = prepared.get(store);
        return table != null ? table : settings.tableName(store);
    }

    private long nowSeconds() {
        return clock.instant().getEpochSecond();
    }

    private String newToken() {
        return tokens.next();
    }

    /** Runs {@code call}, turning a synchronous throw into a failed future. */
    static <T> CompletableFuture<T> guard(Supplier<CompletableFuture<T>> call) {
        try {
            return call.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Exponential backoff with full jitter, without blocking a thread. */
    static CompletableFuture<Void> delay(int retry) {
        long cap = Math.min(BATCH_MAX_DELAY_MS, BATCH_BASE_DELAY_MS << Math.min(retry, 16));
        long millis = ThreadLocalRandom.current().nextLong(cap / 2, cap + 1);
        return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(millis, TimeUnit.MILLISECONDS));
    }

    static Key keyOf(Map<String, AttributeValue> key) {
        return Key.of(key.get(Items.PK).s(), key.get(Items.SK).s());
    }

    static String describe(WriteOp op) {
        String what = op instanceof WriteOp.Put ? "put" : op instanceof WriteOp.Delete ? "delete" : "check";
        return what + " of " + op.key() + " in store '" + op.table() + "'";
    }

    private static OutcomeUnknownException unknown(WriteOp op, AttemptLog log, Throwable cause) {
        return new OutcomeUnknownException(describe(op) + " (condition " + op.condition() + ") may or may not have "
                + "been applied: an earlier attempt got no answer (" + log + ") and the retry found the item changed. "
                + "Read the item to learn its state", op.key(), cause);
    }

    static ConditionFailedException conditionFailed(WriteOp op, Map<String, AttributeValue> current, long now,
                                                            int index, Throwable cause) {
        String state = Items.live(current, now) ? "version " + Items.versionOrNone(current) : "no item";
        return new ConditionFailedException("condition " + op.condition() + " failed for " + op.key() + " in store '"
                + op.table() + "': found " + state + (index >= 0 ? " (transaction operation " + index + ")" : ""),
                op.key(), index, cause);
    }
}
