package dev.polystore.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs every benchmark method once with tiny parameters, directly (no JMH run), so that a broken
 * benchmark fails {@code mvn verify} in seconds. Checks what each call returns, never how long
 * it took.
 */
class BenchmarkSmokeTest {
    private static DynamoDbLocalServer dynamo;
    private static PostgresBenchServer postgres;

    @BeforeAll
    static void startServers() {
        dynamo = DynamoDbLocalServer.start();
        postgres = PostgresBenchServer.start();
    }

    @AfterAll
    static void stopServers() {
        dynamo.close();
        postgres.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"polystore", "polystore-pooled", "raw", "raw-hops"})
    void sqlite(String impl) {
        SqliteBenchmark b = new SqliteBenchmark();
        b.impl = impl;
        b.items = 50;
        b.partitions = 2;
        b.setUp();
        try {
            SqliteBenchmark.Caller c = new SqliteBenchmark.Caller();
            assertNotNull(b.get(c));
            b.get64(c);
            assertTrue(b.put(c) >= 2, "a put over a loaded item is at least its second version");
            assertEquals(100L * Payloads.SIZE, b.query100(c), "100 items of the prefix, none of the other");
            b.query100x64(c);
        } finally {
            b.tearDown();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"polystore", "raw-autocommit", "raw-transaction"})
    void groupCommit(String mode) {
        GroupCommitBenchmark b = new GroupCommitBenchmark();
        b.mode = mode;
        b.items = 50;
        b.setUp();
        try {
            b.put64();
        } finally {
            b.tearDown();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"polystore", "polystore-concurrent", "raw"})
    void sqliteBulkLoad(String impl) {
        SqliteBulkLoadBenchmark b = new SqliteBulkLoadBenchmark();
        b.impl = impl;
        b.items = 1200;
        b.data();
        b.open();
        try {
            b.bulkLoad();
            assertNotNull(b.target.get(Targets.itemPk(1199), Targets.ITEM_SK).join());
        } finally {
            b.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"polystore", "raw", "raw-guarded"})
    void dynamodb(String impl) {
        DynamoDbBenchmark b = new DynamoDbBenchmark();
        b.impl = impl;
        b.items = 20;
        b.partitions = 1;
        b.server = dynamo;
        b.target = Targets.dynamodb(impl, dynamo.endpoint());
        try {
            Targets.load(b.target, Targets.dataset(b.items, b.partitions, new Payloads(1)), 1_000);
            b.pks = new String[] {Targets.itemPk(0), Targets.itemPk(19)};
            b.listPks = new String[] {Targets.listPk(0)};
            DynamoDbBenchmark.Caller c = new DynamoDbBenchmark.Caller();
            assertNotNull(b.get(c));
            b.get64(c);
            assertTrue(b.put(c) >= 2);
            b.put64(c);
            assertEquals(100L * Payloads.SIZE, b.query100(c));
            b.query100x64(c);
        } finally {
            b.target.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"polystore", "polystore-concurrent", "raw", "raw-updates"})
    void dynamodbBatchLoad(String impl) {
        DynamoDbBatchLoadBenchmark b = new DynamoDbBatchLoadBenchmark();
        b.impl = impl;
        b.items = 60;
        b.target = DynamoDbBatchLoadBenchmark.target(impl, dynamo.endpoint());
        b.payloads = new Payloads(3);
        b.round = impl.length() * 10;
        try {
            b.data();
            b.batchLoad();
            assertNotNull(b.target.get(b.data.get(59).pk(), Targets.ITEM_SK).join());
        } finally {
            b.target.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"polystore", "polystore-pooled", "raw", "raw-pool"})
    void postgres(String impl) {
        PostgresBenchmark b = new PostgresBenchmark();
        b.impl = impl;
        b.items = 80;
        b.partitions = 2;
        b.server = postgres;
        b.target = Targets.postgres(impl, postgres.jdbcUrl(), postgres.user());
        try {
            Targets.load(b.target, Targets.dataset(b.items, b.partitions, new Payloads(1)), 1_000);
            b.pks = new String[b.items];
            for (int i = 0; i < b.items; i++) {
                b.pks[i] = Targets.itemPk(i);
            }
            b.listPks = new String[] {Targets.listPk(0), Targets.listPk(1)};
            PostgresBenchmark.Caller c = new PostgresBenchmark.Caller();
            assertNotNull(b.get(c));
            b.get64(c);
            assertTrue(b.put(c) >= 2, "a put over a loaded item is at least its second version");
            b.put64(c);
            assertEquals(100L * Payloads.SIZE, b.query100(c), "100 items of the prefix, none of the other");
            b.query100x64(c);
        } finally {
            b.target.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"polystore", "raw"})
    void redis(String impl) {
        RedisBenchmark b = new RedisBenchmark();
        b.impl = impl;
        b.items = 20;
        b.partitions = 1;
        b.setUp();
        try {
            RedisBenchmark.Caller c = new RedisBenchmark.Caller();
            assertNotNull(b.get(c));
            b.get64(c);
            assertTrue(b.put(c) >= 2, "a put over a loaded item is at least its second version");
            b.put64(c);
            assertEquals(100L * Payloads.SIZE, b.query100(c), "100 items of the prefix, none of the other");
            b.query100x64(c);
        } finally {
            b.tearDown();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"polystore", "polystore-pooled", "polystore-upsert", "raw", "raw-copy"})
    void postgresBulkLoad(String impl) {
        PostgresBulkLoadBenchmark b = new PostgresBulkLoadBenchmark();
        b.impl = impl;
        b.items = 1200;
        b.data = Targets.dataset(b.items, 0, new Payloads(5));
        b.server = postgres;
        b.target = Targets.postgres(impl.equals("raw-copy") ? Targets.RAW : impl, postgres.jdbcUrl(), postgres.user());
        try {
            for (int shot = 0; shot < 2; shot++) {
                b.empty();
                b.bulkLoad();
                assertNotNull(b.target.get(Targets.itemPk(1199), Targets.ITEM_SK).join());
            }
        } finally {
            b.target.close();
        }
    }

    @Test
    void postgresAbLoad() {
        List<String> lines = PostgresAbHarness.run(postgres, 2, 100, List.of("load"),
                List.of(Targets.POLYSTORE, Targets.POLYSTORE_UPSERT));
        assertEquals(1, lines.size());
        assertTrue(lines.get(0).startsWith("load") && lines.get(0).contains("polystore/polystore-upsert median="), lines.get(0));
    }

    @Test
    void streamingRedis() {
        try (dev.polystore.testkit.redis.RedisProcess redis = dev.polystore.testkit.redis.RedisProcess.startDefault()) {
            StreamingHarness.fillRedis(redis.uri(), 2_500);
            StreamingHarness.Pass polystore = StreamingHarness.polystoreRedis(redis.uri(), 1000);
            StreamingHarness.Pass raw = StreamingHarness.rawRedis(redis.uri(), 1000);
            assertEquals(2_500, polystore.items());
            assertEquals(2_500L * Payloads.SIZE, polystore.bytes());
            assertEquals(2_500, raw.items());
            assertEquals(2_500L * Payloads.SIZE, raw.bytes());
        }
    }

    @Test
    void streamingPostgres() {
        StreamingHarness.fillPostgres(postgres, 2_500);
        StreamingHarness.Pass polystore = StreamingHarness.polystorePostgres(postgres, 1000);
        StreamingHarness.Pass raw = StreamingHarness.rawPostgres(postgres);
        assertEquals(2_500, polystore.items());
        assertEquals(2_500L * Payloads.SIZE, polystore.bytes());
        assertEquals(2_500, raw.items());
        assertEquals(2_500L * Payloads.SIZE, raw.bytes());
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "memory", "redis", "postgres", "postgres-pooled"})
    void inFlight(String backend) {
        List<InFlightHarness.Phase> phases = InFlightHarness.run(backend, 300, postgres);
        assertEquals(2, phases.size());
        for (InFlightHarness.Phase p : phases) {
            assertEquals(0, p.errors(), p.toString());
        }
    }

    @Test
    void streaming(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bench.db");
        StreamingHarness.fill(file, 2_500);
        StreamingHarness.Pass polystore = StreamingHarness.polystore(file, 1000);
        StreamingHarness.Pass raw = StreamingHarness.raw(file);
        assertEquals(2_500, polystore.items());
        assertEquals(2_500L * Payloads.SIZE, polystore.bytes());
        assertEquals(2_500, raw.items());
    }

    @Test
    void streamingDynamoDb(@TempDir Path dir) {
        try (DynamoDbLocalProcess server = DynamoDbLocalProcess.start(dir, StreamingHarness.DYNAMODB_LOCAL_HEAP, true)) {
            StreamingHarness.fillDynamoDb(server.endpoint(), 2_510);
            StreamingHarness.Pass polystore = StreamingHarness.polystoreDynamoDb(server.endpoint(), 1000);
            StreamingHarness.Pass raw = StreamingHarness.rawDynamoDb(server.endpoint(), 1000);
            assertEquals(2_510, polystore.items());
            assertEquals(2_510L * Payloads.SIZE, polystore.bytes());
            assertEquals(2_510, raw.items());
            assertEquals(2_510L * Payloads.SIZE, raw.bytes());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 1024})
    void cursors(int skBytes) {
        CursorBenchmark b = new CursorBenchmark();
        b.skBytes = skBytes;
        b.setUp();
        try {
            assertEquals(b.sk, b.open());
            assertEquals(skBytes, b.sk.length());
            assertEquals(b.sk, b.cursors.decode(b.seal(), "orders", "user#42", dev.polystore.KeyRange.prefix("order#"),
                    dev.polystore.Direction.ASCENDING));
            assertEquals(10, b.resumePage().items().size());
        } finally {
            b.tearDown();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "dynamodb"})
    void coordination(String backend) throws Exception {
        CoordinationBenchmark b = new CoordinationBenchmark();
        b.backend = backend;
        b.pollMs = 20;
        b.endpoint = backend.equals("dynamodb") ? dynamo.endpoint() : null;
        b.setUp();
        try {
            assertEquals(1, b.append().lastRevision());
            assertTrue(b.acquireRelease());
            assertEquals(1L, b.subscriptionLag());
            assertEquals(2L, b.subscriptionLag());
            assertTrue(b.leases.describe("bench-lease").join().orElseThrow().released(), "released");
        } finally {
            b.tearDown();
        }
    }
}
