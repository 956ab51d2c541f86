package dev.polystore.benchmarks;

import dev.polystore.Query;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/**
 * Streams one partition of {@code items} 1 KB items through {@code Store.forEach} (pages of
 * {@code pageSize}), then through the raw driver for comparison, and reports throughput and peak
 * heap. Meant to run with a small heap:
 *
 * <pre>java -Xmx128m -cp storage-benchmarks/target/benchmarks.jar dev.polystore.benchmarks.StreamingHarness 1000000 1000 [sqlite|dynamodb|postgres|redis]</pre>
 *
 * <p>SQLite (the default): the partition is written with plain JDBC into the table Polystore
 * created (one transaction, the same layout), which is much faster than any durable per-item
 * path and needs little heap; the raw pass is one sqlite-jdbc result set.
 *
 * <p>DynamoDB: DynamoDB Local runs in a separate JVM ({@link DynamoDbLocalProcess}), since it
 * cannot share the client's small heap. Its data is in an in-memory SQLite database (native
 * memory of that process, not its Java heap), as in the other DynamoDB benchmarks: with
 * {@code -dbPath} on this VM's disk the load was several times slower. The partition is
 * written into the table Polystore created with raw {@code BatchWriteItem}s of 25 ({@value #DYNAMODB_LOAD_IN_FLIGHT} in
 * flight, items at version 1 in the backend's layout); the raw pass is a loop of SDK
 * {@code Query} requests of {@code pageSize} items, one after another, each page read whole.
 *
 * <p>PostgreSQL: the embedded server of the PostgreSQL benchmarks ({@link PostgresBenchServer});
 * the partition is written with raw {@code COPY} into the table Polystore created; the raw pass
 * is one pgjdbc result set read through a server-side cursor.
 *
 * <p>Redis: a {@code redis-server} process (the testkit's {@code RedisProcess}, no persistence);
 * the partition is written in the backend's layout (an item hash with {@code p} and {@code v = 1},
 * the partition's sorted set) with raw pipelined {@code HSET} + {@code ZADD}, 1,000 at a time; the
 * raw pass pages through the sorted set with {@code ZRANGEBYLEX … LIMIT 0 pageSize} and reads
 * each page's hashes with pipelined {@code HMGET p v e}, one page after another.
 */
public final class StreamingHarness {
    static final String PK = "stream";
    /** BatchWriteItem requests in flight while filling DynamoDB Local. */
    static final int DYNAMODB_LOAD_IN_FLIGHT = 32;
    /** DynamoDB Local's heap (its own JVM). */
    static final String DYNAMODB_LOCAL_HEAP = "-Xmx1g";
    /** Polystore's table for store {@value PolystoreTarget#STORE} with the benchmarks' table prefix. */
    static final String DYNAMODB_TABLE = "bench_" + PolystoreTarget.STORE;

    /** What one streaming pass did. */
    public record Pass(String how, long items, long bytes, double seconds, long peakSampled, long peakPools) {
        @Override
        public String toString() {
            return String.format("%-22s items=%d bytes=%d time=%.2f s throughput=%.0f items/s "
                            + "peak heap sampled=%s pools=%s (max %s)", how, items, bytes, seconds, items / seconds,
                    HeapWatch.mib(peakSampled), HeapWatch.mib(peakPools), HeapWatch.mib(HeapWatch.maxHeap()));
        }
    }

    private StreamingHarness() {
    }

    public static void main(String[] args) throws SQLException {
        int items = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int pageSize = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        String backend = args.length > 2 ? args[2] : "sqlite";
        if (backend.equals("dynamodb")) {
            dynamodb(items, pageSize);
            return;
        } else if (backend.equals("postgres")) {
            postgres(items, pageSize);
            return;
        } else if (backend.equals("redis")) {
            redis(items, pageSize);
            return;
        } else if (!backend.equals("sqlite")) {
            throw new IllegalArgumentException("backend must be sqlite, dynamodb, postgres or redis, not " + backend);
        }
        Path dir = Targets.tempDir("bench-stream-");
        try {
            long start = System.nanoTime();
            fill(dir.resolve("bench.db"), items);
            System.out.printf("loaded %d items in %.1f s%n", items, (System.nanoTime() - start) / 1e9);
            System.out.println(polystore(dir.resolve("bench.db"), pageSize));
            System.out.println(raw(dir.resolve("bench.db")));
        } finally {
            Targets.deleteRecursively(dir);
        }
    }

    /** Creates the store with Polystore, then writes {@code items} items of partition {@value #PK} into it. */
    public static void fill(Path file, int items) throws SQLException {
        PolystoreTarget.sqlite(file).close();
        Payloads payloads = new Payloads(7);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath())) {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode = WAL");
                s.execute("PRAGMA synchronous = FULL");
            }
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO store_items (pk, sk, version, expires_at, payload) VALUES (?, ?, 1, NULL, ?)")) {
                for (int i = 0; i < items; i++) {
                    ps.setString(1, PK);
                    ps.setString(2, String.format("%09d", i));
                    ps.setBytes(3, payloads.next());
                    ps.addBatch();
                    if (i % 10_000 == 9_999) {
                        ps.executeBatch();
                    }
                }
                ps.executeBatch();
            }
            c.commit();
        }
    }

    /** The DynamoDB mode of {@link #main}: DynamoDB Local in its own JVM, filled, then streamed both ways. */
    static void dynamodb(int items, int pageSize) {
        Path dir = Targets.tempDir("bench-stream-dynamodb-");
        try (DynamoDbLocalProcess server = DynamoDbLocalProcess.start(dir, DYNAMODB_LOCAL_HEAP, true)) {
            long start = System.nanoTime();
            fillDynamoDb(server.endpoint(), items);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("loaded %d items in %.1f s (%.0f items/s; BatchWriteItem of 25, %d in flight, "
                            + "DynamoDB Local in its own JVM, %s, -inMemory)%n", items, seconds, items / seconds,
                    DYNAMODB_LOAD_IN_FLIGHT, DYNAMODB_LOCAL_HEAP);
            System.out.println(polystoreDynamoDb(server.endpoint(), pageSize));
            System.out.println(rawDynamoDb(server.endpoint(), pageSize));
        } finally {
            Targets.deleteRecursively(dir);
        }
    }

    /**
     * Creates the store with Polystore, then writes {@code items} items of partition {@value #PK}
     * into its table with raw {@code BatchWriteItem}s, {@value #DYNAMODB_LOAD_IN_FLIGHT} in flight.
     */
    public static void fillDynamoDb(String endpoint, int items) {
        PolystoreTarget.dynamodb(endpoint).close();
        Payloads payloads = new Payloads(7);
        int chunks = (items + 24) / 25;
        try (RawDynamoDbTarget.Client client = new RawDynamoDbTarget.Client(endpoint)) {
            Targets.inLanes(chunks, DYNAMODB_LOAD_IN_FLIGHT, index -> {
                List<Entry> entries = new ArrayList<>(25);
                synchronized (payloads) {
                    for (int i = index * 25; i < Math.min(items, index * 25 + 25); i++) {
                        entries.add(new Entry(PK, String.format("%09d", i), payloads.next()));
                    }
                }
                return RawDynamoDbTarget.batchWrite(client.dynamo,
                        Map.of(DYNAMODB_TABLE, RawDynamoDbTarget.putRequests(entries)));
            }).join();
        }
    }

    /** Streams the DynamoDB partition through {@code Store.forEach}. */
    public static Pass polystoreDynamoDb(String endpoint, int pageSize) {
        try (PolystoreTarget target = PolystoreTarget.dynamodb(endpoint)) {
            return polystore(target, pageSize);
        }
    }

    /**
     * Streams the DynamoDB partition through SDK {@code Query} requests of {@code pageSize}
     * items (consistent reads, as Polystore's), one after another, reading every item's key,
     * version and payload.
     */
    public static Pass rawDynamoDb(String endpoint, int pageSize) {
        try (RawDynamoDbTarget.Client client = new RawDynamoDbTarget.Client(endpoint); HeapWatch heap = new HeapWatch()) {
            long n = 0;
            long bytes = 0;
            int requests = 0;
            Map<String, AttributeValue> startKey = null;
            long start = System.nanoTime();
            do {
                QueryRequest.Builder b = QueryRequest.builder().tableName(DYNAMODB_TABLE)
                        .keyConditionExpression("#pk = :pk")
                        .expressionAttributeNames(Map.of("#pk", "pk"))
                        .expressionAttributeValues(Map.of(":pk", AttributeValue.fromS(PK)))
                        .consistentRead(true)
                        .limit(pageSize);
                if (startKey != null) {
                    b.exclusiveStartKey(startKey);
                }
                QueryResponse r = client.dynamo.query(b.build()).join();
                requests++;
                for (Map<String, AttributeValue> item : r.items()) {
                    item.get("sk").s();
                    Long.parseLong(item.get("v").n());
                    bytes += item.get("p").b().asByteArray().length;
                    n++;
                }
                startKey = r.hasLastEvaluatedKey() && !r.lastEvaluatedKey().isEmpty() ? r.lastEvaluatedKey() : null;
            } while (startKey != null);
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Pass("raw sdk query/" + pageSize + " (" + requests + " requests)", n, bytes, seconds,
                    heap.peakSampled(), heap.peakPools());
        }
    }

    /** The PostgreSQL mode of {@link #main}: the embedded server (fsync on), filled with COPY, streamed both ways. */
    static void postgres(int items, int pageSize) {
        try (PostgresBenchServer server = PostgresBenchServer.start()) {
            long start = System.nanoTime();
            fillPostgres(server, items);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("loaded %d items in %.1f s (%.0f items/s; COPY in chunks of 10,000, one transaction each)%n",
                    items, seconds, items / seconds);
            System.out.println(polystorePostgres(server, pageSize));
            System.out.println(rawPostgres(server));
        }
    }

    /** Polystore's table of store {@value PolystoreTarget#STORE} with the benchmarks' prefix. */
    static final String POSTGRES_TABLE = "bench_" + PolystoreTarget.STORE;

    /**
     * Creates the store with Polystore, then writes {@code items} items of partition {@value #PK}
     * (version 1, the backend's layout) into its table with binary {@code COPY}, 10,000 per
     * statement, so the heap never holds more than one chunk.
     */
    public static void fillPostgres(PostgresBenchServer server, int items) {
        PolystoreTarget.postgres(server.jdbcUrl(), server.user(), "bench_", true).close();
        Payloads payloads = new Payloads(7);
        try (Connection c = server.server().connect(PostgresBenchServer.DATABASE)) {
            org.postgresql.copy.CopyManager copy = c.unwrap(org.postgresql.PGConnection.class).getCopyAPI();
            for (int from = 0; from < items; from += 10_000) {
                List<Entry> chunk = new ArrayList<>(10_000);
                for (int i = from; i < Math.min(items, from + 10_000); i++) {
                    chunk.add(new Entry(PK, String.format("%09d", i), payloads.next()));
                }
                copy.copyIn("COPY " + POSTGRES_TABLE + " (pk, sk, version, expires_at, payload) FROM STDIN (FORMAT binary)",
                        new java.io.ByteArrayInputStream(RawPostgresTarget.binaryCopy(chunk)));
            }
        } catch (SQLException | java.io.IOException e) {
            throw new IllegalStateException("could not fill PostgreSQL", e);
        }
    }

    /** Streams the PostgreSQL partition through {@code Store.forEach}. */
    public static Pass polystorePostgres(PostgresBenchServer server, int pageSize) {
        try (PolystoreTarget target = PolystoreTarget.postgres(server.jdbcUrl(), server.user(), "bench_", true)) {
            return polystore(target, pageSize);
        }
    }

    /**
     * Streams the PostgreSQL partition through one pgjdbc result set read with a server-side
     * cursor (autocommit off, fetch size 1,000), reading every row's key, version, expiry and payload.
     */
    public static Pass rawPostgres(PostgresBenchServer server) {
        try (Connection c = server.server().connect(PostgresBenchServer.DATABASE); HeapWatch heap = new HeapWatch()) {
            c.setAutoCommit(false);
            long n = 0;
            long bytes = 0;
            long start = System.nanoTime();
            try (PreparedStatement ps = c.prepareStatement("SELECT sk, version, expires_at, payload FROM " + POSTGRES_TABLE
                    + " WHERE pk = ? ORDER BY sk")) {
                ps.setFetchSize(1000);
                ps.setBytes(1, PK.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rs.getBytes(1);
                        rs.getLong(2);
                        rs.getLong(3);
                        bytes += rs.getBytes(4).length;
                        n++;
                    }
                }
            }
            c.commit();
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Pass("raw pgjdbc cursor/1000", n, bytes, seconds, heap.peakSampled(), heap.peakPools());
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The Redis mode of {@link #main}: a redis-server process, filled in the backend's layout, then streamed both ways. */
    static void redis(int items, int pageSize) {
        try (dev.polystore.testkit.redis.RedisProcess server = dev.polystore.testkit.redis.RedisProcess.startDefault()) {
            long start = System.nanoTime();
            fillRedis(server.uri(), items);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("loaded %d items in %.1f s (%.0f items/s; HSET + ZADD pipelined, 1000 at a time)%n", items,
                    seconds, items / seconds);
            System.out.println(polystoreRedis(server.uri(), pageSize));
            System.out.println(rawRedis(server.uri(), pageSize));
        }
    }

    /** The item hash key prefix and the partition index of {@value #PK} in store {@value PolystoreTarget#STORE}, default key prefix. */
    private static final String REDIS_ITEM = "ps:{" + PK + "}i:" + PolystoreTarget.STORE + ":";
    private static final byte[] REDIS_INDEX = ("ps:{" + PK + "}z:" + PolystoreTarget.STORE).getBytes(
            java.nio.charset.StandardCharsets.UTF_8);

    /** Writes {@code items} items of partition {@value #PK} in the redis backend's layout, at version 1. */
    public static void fillRedis(String uri, int items) {
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(uri);
        try (io.lettuce.core.api.StatefulRedisConnection<byte[], byte[]> c = client.connect(
                io.lettuce.core.codec.ByteArrayCodec.INSTANCE)) {
            var redis = c.async();
            Payloads payloads = new Payloads(7);
            byte[] one = {'1'};
            List<CompletableFuture<?>> pending = new ArrayList<>(2000);
            for (int i = 0; i < items; i++) {
                String sk = String.format("%09d", i);
                pending.add(redis.hset((REDIS_ITEM + sk).getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        Map.of(new byte[] {'p'}, payloads.next(), new byte[] {'v'}, one)).toCompletableFuture());
                pending.add(redis.zadd(REDIS_INDEX, 0, sk.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                        .toCompletableFuture());
                if (pending.size() >= 2000 || i == items - 1) {
                    CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).join();
                    pending.clear();
                }
            }
        } finally {
            client.shutdown();
        }
    }

    /** Streams the Redis partition through {@code Store.forEach}. */
    public static Pass polystoreRedis(String uri, int pageSize) {
        try (PolystoreTarget target = RedisTargets.polystore(uri)) {
            return polystore(target, pageSize);
        }
    }

    /** Streams the Redis partition with raw Lettuce: {@code ZRANGEBYLEX} pages, each page's hashes by pipelined {@code HMGET}. */
    public static Pass rawRedis(String uri, int pageSize) {
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(uri);
        try (io.lettuce.core.api.StatefulRedisConnection<byte[], byte[]> c = client.connect(
                io.lettuce.core.codec.ByteArrayCodec.INSTANCE); HeapWatch heap = new HeapWatch()) {
            var redis = c.async();
            byte[] p = {'p'};
            byte[] v = {'v'};
            byte[] e = {'e'};
            long n = 0;
            long bytes = 0;
            long start = System.nanoTime();
            io.lettuce.core.Range.Boundary<byte[]> from = io.lettuce.core.Range.Boundary.unbounded();
            while (true) {
                List<byte[]> members = redis.zrangebylex(REDIS_INDEX, io.lettuce.core.Range.from(from,
                        io.lettuce.core.Range.Boundary.unbounded()), io.lettuce.core.Limit.from(pageSize))
                        .toCompletableFuture().join();
                if (members.isEmpty()) {
                    break;
                }
                List<CompletableFuture<List<io.lettuce.core.KeyValue<byte[], byte[]>>>> reads = new ArrayList<>(members.size());
                byte[] base = REDIS_ITEM.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                for (byte[] m : members) {
                    byte[] key = java.util.Arrays.copyOf(base, base.length + m.length);
                    System.arraycopy(m, 0, key, base.length, m.length);
                    reads.add(redis.hmget(key, p, v, e).toCompletableFuture());
                }
                for (CompletableFuture<List<io.lettuce.core.KeyValue<byte[], byte[]>>> r : reads) {
                    List<io.lettuce.core.KeyValue<byte[], byte[]>> fields = r.join();
                    bytes += fields.get(0).getValue().length;
                    n++;
                }
                from = io.lettuce.core.Range.Boundary.excluding(members.get(members.size() - 1));
                if (members.size() < pageSize) {
                    break;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Pass("raw lettuce zrange+hmget/" + pageSize, n, bytes, seconds, heap.peakSampled(), heap.peakPools());
        } finally {
            client.shutdown();
        }
    }

    /** Streams the partition through {@code Store.forEach}. */
    public static Pass polystore(Path file, int pageSize) {
        try (PolystoreTarget target = PolystoreTarget.sqlite(file)) {
            return polystore(target, pageSize);
        }
    }

    private static Pass polystore(PolystoreTarget target, int pageSize) {
        try (HeapWatch heap = new HeapWatch()) {
            AtomicLong bytes = new AtomicLong();
            long start = System.nanoTime();
            long n = target.store().forEach(Query.partition(PK).limit(pageSize),
                    item -> bytes.addAndGet(item.value().length)).join();
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Pass("polystore forEach/" + pageSize, n, bytes.get(), seconds, heap.peakSampled(), heap.peakPools());
        }
    }

    /** Streams the partition through one sqlite-jdbc result set. */
    public static Pass raw(Path file) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
             HeapWatch heap = new HeapWatch()) {
            long n = 0;
            long bytes = 0;
            long start = System.nanoTime();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT sk, version, expires_at, payload FROM store_items WHERE pk = ? ORDER BY sk")) {
                ps.setString(1, PK);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rs.getString(1);
                        rs.getLong(2);
                        rs.getLong(3);
                        bytes += rs.getBytes(4).length;
                        n++;
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Pass("raw jdbc result set", n, bytes, seconds, heap.peakSampled(), heap.peakPools());
        }
    }
}
