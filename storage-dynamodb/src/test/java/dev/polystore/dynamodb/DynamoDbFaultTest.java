package dev.polystore.dynamodb;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.BatchWriteException;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.WriteOp;
import dev.polystore.testkit.MutableClock;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import dev.polystore.dynamodb.FaultInjectingHttpClient.Fault;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.retries.api.BackoffStrategy;

/**
 * Faults injected between the real SDK client and DynamoDB Local: responses lost after the
 * server applied a write, throttling, batch items left unprocessed. The backend is driven
 * through the SPI, as the API layer drives it.
 */
class DynamoDbFaultTest {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    /** Attempts per call the SDK is configured with ({@code max_attempts}). */
    static final int MAX_ATTEMPTS = 4;
    /** Retries of unprocessed batch items the backend is built with here. */
    static final int BATCH_RETRIES = 3;
    static final String STORE = "faults";

    private FaultInjectingHttpClient faults;
    private final HoldBackInterceptor holdBack = new HoldBackInterceptor();
    private DynamoDbBackend backend;
    private DynamoDbBackend bystander;
    private MutableClock clock;
    private String pk;

    @BeforeEach
    void open() {
        clock = MutableClock.startingNow();
        var section = TestConfigs.section(DYNAMODB.endpoint(), Map.of("max_attempts", String.valueOf(MAX_ATTEMPTS)));
        DynamoDbSettings settings = DynamoDbSettings.from(section);
        // Short backoff keeps the suite fast; the number of attempts is the configured one.
        ClientFactory.Hooks hooks = new ClientFactory.Hooks(List.of(holdBack),
                http -> faults = new FaultInjectingHttpClient(http),
                b -> b.backoffStrategy(BackoffStrategy.exponentialDelay(Duration.ofMillis(1), Duration.ofMillis(20)))
                        .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(Duration.ofMillis(1), Duration.ofMillis(20))));
        backend = DynamoDbStorageProvider.open(settings, new ProviderContext(section, clock), hooks, BATCH_RETRIES);
        bystander = DynamoDbStorageProvider.open(settings, new ProviderContext(section, clock), ClientFactory.Hooks.NONE,
                BATCH_RETRIES);
        await(backend.prepareTable(STORE));
        await(bystander.prepareTable(STORE));
        faults.reset();
        pk = "fault-" + UUID.randomUUID();
    }

    @AfterEach
    void close() {
        backend.close();
        bystander.close();
    }

    // ------------------------------------------------------------------ lost responses

    @Nested
    @DisplayName("a response lost after DynamoDB applied the write")
    class LostResponses {
        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"if absent", "if version", "if exists", "none", "none over expired"})
        @DisplayName("is reported as the success it was, never as a failed condition")
        void putSucceeds(String condition) {
            Key key = Key.of(pk, "k");
            Condition c;
            long expected;
            switch (condition) {
                case "if absent" -> {
                    c = Condition.ifAbsent();
                    expected = 1;
                }
                case "if version" -> {
                    seed(key, 2);
                    c = Condition.ifVersion(2);
                    expected = 3;
                }
                case "if exists" -> {
                    seed(key, 2);
                    c = Condition.ifExists();
                    expected = 3;
                }
                case "none" -> {
                    seed(key, 2);
                    c = Condition.none();
                    expected = 3;
                }
                default -> {
                    await(bystander.put(put(key, "old", Condition.none(), clock.instant().plusSeconds(5))));
                    clock.advance(Duration.ofSeconds(10));
                    c = Condition.none();
                    expected = 1;
                }
            }
            faults.plan((op, n) -> isWrite(op) && n == 1 ? Fault.LOSE_RESPONSE : Fault.NONE);

            long version = await(backend.put(put(key, "mine", c, null)));

            // Over an expired item the put takes two steps (update refused, then put v1); both lose a response.
            int lost = condition.equals("none over expired") ? 2 : 1;
            assertEquals(lost, faults.injected(Fault.LOSE_RESPONSE), "responses lost");
            assertEquals(expected, version, "the version of the write that was applied once");
            RawItem stored = await(bystander.get(STORE, key)).orElseThrow();
            assertEquals(expected, stored.version(), "applied once: the retry did not bump the version again");
            assertArrayEquals(bytes("mine"), stored.payload());
        }

        @Test
        @DisplayName("then overwritten by another writer before the retry: outcome unknown, not a failed condition")
        void overwrittenMeanwhile() {
            Key key = Key.of(pk, "k");
            faults.plan((op, n) -> op.equals("PutItem") && n == 1 ? Fault.LOSE_RESPONSE : Fault.NONE);
            faults.afterLoss(() -> bystander.put(put(key, "theirs", Condition.none(), null)));

            StoreException e = failure(backend.put(put(key, "mine", Condition.ifAbsent(), null)));

            assertInstanceOf(OutcomeUnknownException.class, e, "must not claim the condition failed: " + e);
            assertEquals(Optional.of(key), ((OutcomeUnknownException) e).key());
            assertFalse(e.retryable());
        }

        @Test
        @DisplayName("a genuine condition failure with no ambiguous attempt is still a condition failure")
        void genuineFailure() {
            Key key = Key.of(pk, "k");
            seed(key, 1);
            StoreException e = failure(backend.put(put(key, "mine", Condition.ifAbsent(), null)));
            ConditionFailedException cfe = assertInstanceOf(ConditionFailedException.class, e);
            assertTrue(cfe.getMessage().contains("found version 1"), cfe.getMessage());
            assertNotNull(cfe.getCause(), "the SDK exception is the cause");
        }

        @Test
        @DisplayName("a conditional delete whose response is lost: outcome unknown (the item is gone either way)")
        void conditionalDelete() {
            Key key = Key.of(pk, "k");
            seed(key, 1);
            faults.plan((op, n) -> op.equals("DeleteItem") && n == 1 ? Fault.LOSE_RESPONSE : Fault.NONE);
            StoreException e = failure(backend.delete(new WriteOp.Delete(STORE, key, Condition.ifVersion(1))));
            assertInstanceOf(OutcomeUnknownException.class, e, "not a false condition failure: " + e);
            assertTrue(await(bystander.get(STORE, key)).isEmpty());
        }

        @Test
        @DisplayName("a transaction whose response is lost is applied once and reported as committed")
        void transaction() {
            Key a = Key.of(pk, "a");
            Key b = Key.of(pk, "b");
            seed(b, 3);
            faults.plan((op, n) -> op.equals("TransactWriteItems") && n == 1 ? Fault.LOSE_RESPONSE : Fault.NONE);

            List<Long> versions = await(backend.transact(List.of(
                    put(a, "a", Condition.ifAbsent(), null),
                    put(b, "b", Condition.none(), null))));

            assertEquals(List.of(1L, 4L), versions);
            assertEquals(2, faults.calls("TransactWriteItems"), "the SDK retried once");
            assertEquals(1, await(bystander.get(STORE, a)).orElseThrow().version());
            assertEquals(4, await(bystander.get(STORE, b)).orElseThrow().version(), "applied once, not twice");
        }
    }

    // ------------------------------------------------------------------ races

    @Nested
    @DisplayName("a transaction racing another writer")
    class Races {
        @Test
        @DisplayName("an unconditional put whose read went stale is retried with fresh versions, not failed")
        void staleRead() {
            Key a = Key.of(pk, "a");
            Key b = Key.of(pk, "b");
            seed(b, 1);
            faults.plan((op, n) -> op.equals("TransactWriteItems") && n == 1 ? Fault.INTERLEAVE : Fault.NONE);
            faults.interleave(() -> bystander.put(put(b, "theirs", Condition.none(), null)));

            List<Long> versions = await(backend.transact(List.of(
                    put(b, "mine", Condition.none(), null),
                    put(a, "a", Condition.ifAbsent(), null))));

            assertEquals(List.of(3L, 1L), versions, "b: seeded v1, theirs v2, mine v3");
            assertEquals(2, faults.calls("TransactWriteItems"), "cancelled once, committed on the second round");
            RawItem stored = await(bystander.get(STORE, b)).orElseThrow();
            assertEquals(3, stored.version());
            assertArrayEquals(bytes("mine"), stored.payload());
        }

        @Test
        @DisplayName("the caller's own failed condition is reported with its operation index, nothing written")
        void callerCondition() {
            Key a = Key.of(pk, "a");
            Key b = Key.of(pk, "b");
            seed(b, 1);
            faults.plan((op, n) -> op.equals("TransactWriteItems") && n == 1 ? Fault.INTERLEAVE : Fault.NONE);
            faults.interleave(() -> bystander.put(put(b, "theirs", Condition.none(), null)));

            StoreException e = failure(backend.transact(List.of(
                    put(a, "a", Condition.ifAbsent(), null),
                    put(b, "mine", Condition.ifVersion(1), null))));

            ConditionFailedException cfe = assertInstanceOf(ConditionFailedException.class, e);
            assertEquals(java.util.OptionalInt.of(1), cfe.operationIndex());
            assertTrue(cfe.getMessage().contains("found version 2"), cfe.getMessage());
            assertTrue(await(bystander.get(STORE, a)).isEmpty(), "all or nothing");
        }
    }

    // ------------------------------------------------------------------ throttling

    @Nested
    @DisplayName("throttling")
    class Throttling {
        @Test
        @DisplayName("on every call: fails after the configured attempts with the retryable kind, nothing written")
        void always() {
            Key key = Key.of(pk, "k");
            faults.plan((op, n) -> Fault.THROTTLE);

            StoreException write = failure(backend.put(put(key, "v", Condition.ifAbsent(), null)));
            assertInstanceOf(UnavailableException.class, write, "throttled writes were not applied: " + write);
            assertTrue(write.retryable());
            assertEquals(MAX_ATTEMPTS, faults.calls("PutItem"), "max_attempts = " + MAX_ATTEMPTS);
            assertNotNull(write.getCause());

            StoreException read = failure(backend.get(STORE, key));
            assertInstanceOf(UnavailableException.class, read);
            assertEquals(MAX_ATTEMPTS, faults.calls("GetItem"));

            faults.reset();
            assertTrue(await(backend.get(STORE, key)).isEmpty(), "the throttled put wrote nothing");
        }

        @Test
        @DisplayName("on every other call (50 %): every operation succeeds through the SDK's retries")
        void half() {
            int operations = 30;
            faults.plan((op, n) -> n % 2 == 1 ? Fault.THROTTLE : Fault.NONE);
            for (int i = 0; i < operations; i++) {
                Key key = Key.of(pk, "k" + i);
                assertEquals(1L, await(backend.put(put(key, "v" + i, Condition.ifAbsent(), null))));
                assertArrayEquals(bytes("v" + i), await(backend.get(STORE, key)).orElseThrow().payload());
            }
            assertEquals(2 * operations, faults.injected(Fault.THROTTLE), "half of all calls were throttled");
            assertEquals(4 * operations, faults.calls("PutItem") + faults.calls("GetItem"));
        }
    }

    // ------------------------------------------------------------------ endpoint down

    @Nested
    @DisplayName("endpoint down (every connection refused)")
    class EndpointDown {
        @Test
        @DisplayName("reads and writes fail as unavailable (nothing was sent), health is unhealthy; all recover when it is back")
        void downAndBack() {
            Key key = Key.of(pk, "k");
            faults.plan((op, n) -> Fault.REFUSE);

            StoreException write = failure(backend.put(put(key, "v", Condition.ifAbsent(), null)));
            assertInstanceOf(UnavailableException.class, write, "a refused connection applied nothing: " + write);
            assertTrue(write.retryable());
            assertInstanceOf(UnavailableException.class, failure(backend.get(STORE, key)));
            assertInstanceOf(UnavailableException.class,
                    failure(backend.query(new dev.polystore.spi.QuerySpec(STORE, pk, dev.polystore.KeyRange.all(), 10,
                            dev.polystore.Direction.ASCENDING, null))));
            var health = await(backend.health());
            assertFalse(health.healthy());
            assertTrue(health.details().containsKey("error"), health.toString());
            assertEquals(MAX_ATTEMPTS, faults.calls("PutItem"), "the SDK retried up to max_attempts");

            faults.plan((op, n) -> Fault.NONE);
            assertTrue(await(backend.health()).healthy(), "healthy again");
            assertEquals(1L, await(backend.put(put(key, "v", Condition.ifAbsent(), null))));
            assertArrayEquals(bytes("v"), await(backend.get(STORE, key)).orElseThrow().payload());
        }
    }

    // ------------------------------------------------------------------ two clients

    @Nested
    @DisplayName("two independent clients of one DynamoDB")
    class TwoClients {
        @Test
        @DisplayName("see each other's writes at once and are held to each other's conditions")
        void shared() {
            Key key = Key.of(pk, "shared");
            assertEquals(1L, await(backend.put(put(key, "one", Condition.ifAbsent(), null))));
            assertArrayEquals(bytes("one"), await(bystander.get(STORE, key)).orElseThrow().payload(), "consistent read");
            assertInstanceOf(ConditionFailedException.class,
                    failure(bystander.put(put(key, "two", Condition.ifAbsent(), null))));
            assertEquals(2L, await(bystander.put(put(key, "two", Condition.ifVersion(1), null))));
            assertInstanceOf(ConditionFailedException.class,
                    failure(backend.put(put(key, "stale", Condition.ifVersion(1), null))));
            assertTrue(await(backend.delete(new WriteOp.Delete(STORE, key, Condition.ifVersion(2)))));
            assertTrue(await(bystander.get(STORE, key)).isEmpty());
        }
    }

    // ------------------------------------------------------------------ batches

    @Nested
    @DisplayName("batch items left unprocessed")
    class Unprocessed {
        @Test
        @DisplayName("are retried with backoff until written")
        void retried() {
            List<WriteOp> deletes = seedMany(30);
            holdBack.holdBack(Key.of(pk, "k07"), BATCH_RETRIES);
            await(backend.batchWrite(STORE, deletes));
            assertTrue(holdBack.pending().isEmpty());
            for (WriteOp d : deletes) {
                assertTrue(await(bystander.get(STORE, d.key())).isEmpty(), d.key() + " deleted");
            }
        }

        @Test
        @DisplayName("past the bound are reported key by key; the others are written")
        void reported() {
            List<WriteOp> deletes = seedMany(30);
            Key stuck = Key.of(pk, "k26");
            holdBack.holdBack(stuck, BATCH_RETRIES + 1);
            StoreException e = failure(backend.batchWrite(STORE, deletes.subList(25, 30)));
            BatchWriteException bwe = assertInstanceOf(BatchWriteException.class, e);
            assertEquals(List.of(stuck), bwe.unprocessed());
            assertTrue(bwe.retryable());
            assertTrue(await(bystander.get(STORE, stuck)).isPresent(), "the unprocessed item is untouched");
            for (WriteOp d : deletes.subList(25, 30)) {
                if (!d.key().equals(stuck)) {
                    assertTrue(await(bystander.get(STORE, d.key())).isEmpty(), d.key() + " deleted");
                }
            }
        }

        @Test
        @DisplayName("batch puts throttled past the SDK's attempts are each reported, none dropped")
        void putsReported() {
            List<WriteOp> puts = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                puts.add(put(Key.of(pk, "p" + i), "v", Condition.none(), null));
            }
            faults.plan((op, n) -> op.equals("UpdateItem") ? Fault.THROTTLE : Fault.NONE);
            StoreException e = failure(backend.batchWrite(STORE, puts));
            BatchWriteException bwe = assertInstanceOf(BatchWriteException.class, e);
            assertEquals(puts.stream().map(WriteOp::key).collect(java.util.stream.Collectors.toSet()),
                    java.util.Set.copyOf(bwe.unprocessed()));
            assertTrue(bwe.retryable());
            faults.reset();
            for (WriteOp p : puts) {
                assertTrue(await(backend.get(STORE, p.key())).isEmpty(), p.key() + " not written");
            }
        }

        @Test
        @DisplayName("batch get: unprocessed keys are retried, and past the bound the read fails naming them")
        void batchGet() {
            List<WriteOp> seeded = seedMany(10);
            List<Key> keys = seeded.stream().map(WriteOp::key).toList();
            holdBack.holdBack(keys.get(3), BATCH_RETRIES);
            assertEquals(10, await(backend.batchGet(STORE, keys)).size());

            holdBack.holdBack(keys.get(4), BATCH_RETRIES + 1);
            StoreException e = failure(backend.batchGet(STORE, keys));
            assertInstanceOf(UnavailableException.class, e);
            assertTrue(e.getMessage().contains(keys.get(4).toString()), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ helpers

    private static boolean isWrite(String operation) {
        return operation.equals("PutItem") || operation.equals("UpdateItem");
    }

    /** Writes {@code key} through the bystander until it has {@code version}. */
    private void seed(Key key, int version) {
        for (int i = 0; i < version; i++) {
            await(bystander.put(put(key, "seed" + i, Condition.none(), null)));
        }
    }

    /** Seeds {@code n} items k00..k(n-1) and returns deletes of them. */
    private List<WriteOp> seedMany(int n) {
        List<WriteOp> deletes = new ArrayList<>();
        List<CompletableFuture<Long>> writes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Key key = Key.of(pk, String.format("k%02d", i));
            writes.add(bystander.put(put(key, "v", Condition.none(), null)));
            deletes.add(new WriteOp.Delete(STORE, key, Condition.none()));
        }
        writes.forEach(DynamoDbFaultTest::await);
        return deletes;
    }

    private static WriteOp.Put put(Key key, String value, Condition condition, java.time.Instant expiresAt) {
        return new WriteOp.Put(STORE, key, bytes(value), expiresAt, condition);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("operation failed: " + e, e);
        }
    }

    static StoreException failure(CompletableFuture<?> future) {
        CompletionException e = assertThrows(CompletionException.class, () -> future.orTimeout(60, TimeUnit.SECONDS).join());
        return assertInstanceOf(StoreException.class, e.getCause(), "failures are StoreExceptions");
    }
}
