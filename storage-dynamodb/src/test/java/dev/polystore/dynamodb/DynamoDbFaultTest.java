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
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.retries.StandardRetryStrategy;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;

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
    private final TransactionTokens tokens = new TransactionTokens();
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
        ClientFactory.Hooks hooks = new ClientFactory.Hooks(List.of(holdBack, tokens),
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
        @DisplayName("a transaction whose response is lost is retried with the same token, applied once, reported as committed (or outcome unknown)")
        void transaction() {
            int transactions = 50;
            int sameToken = 0;
            int doubleApplies = 0;
            int injected = 0;
            int calls = 0;
            List<String> anomalies = new ArrayList<>();
            List<String> misreports = new ArrayList<>();
            Map<String, Integer> outcomes = new java.util.TreeMap<>();
            for (int i = 0; i < transactions; i++) {
                Key a = Key.of(pk, "a" + i);
                Key b = Key.of(pk, "b" + i);
                seed(b, 3);
                faults.reset();
                tokens.reset();
                faults.plan((op, n) -> op.equals("TransactWriteItems") && n == 1 ? Fault.LOSE_RESPONSE : Fault.NONE);

                Throwable failure = null;
                try {
                    List<Long> versions = backend.transact(List.of(
                            put(a, "a", Condition.ifAbsent(), null),
                            put(b, "b", Condition.none(), null))).get(60, TimeUnit.SECONDS);
                    assertEquals(List.of(1L, 4L), versions, "transaction " + i);
                } catch (java.util.concurrent.ExecutionException e) {
                    failure = Errors.unwrap(e.getCause());
                } catch (java.util.concurrent.TimeoutException | InterruptedException e) {
                    throw new AssertionError("transaction " + i + " did not complete within 60 s", e);
                }
                outcomes.merge(kind(failure), 1, Integer::sum);
                if (failure != null && !(failure instanceof OutcomeUnknownException)) {
                    misreports.add("transaction " + i + ": " + failure);
                }
                injected += faults.injected(Fault.LOSE_RESPONSE);
                calls += faults.calls("TransactWriteItems");
                List<String> sent = tokens.sent();
                if (sent.size() >= 2 && sent.get(0) != null && sent.stream().allMatch(sent.get(0)::equals)) {
                    sameToken++;
                }
                if (sent.size() != 2 || failure != null) {
                    anomalies.add("transaction " + i + ": " + tokens.events());
                }
                RawItem storedA = await(bystander.get(STORE, a)).orElseThrow();
                RawItem storedB = await(bystander.get(STORE, b)).orElseThrow();
                if (storedA.version() != 1 || storedB.version() != 4) {
                    doubleApplies++;
                }
                assertArrayEquals(bytes("b"), storedB.payload());
            }
            figure("transaction token: transactions=" + transactions + " lost responses=" + injected
                    + " TransactWriteItems attempts=" + calls + " all attempts with the first attempt's token=" + sameToken
                    + " outcomes=" + outcomes + " misreports=" + misreports.size() + " double applies=" + doubleApplies
                    + " not committed by the first retry=" + anomalies.size());
            anomalies.forEach(a -> figure("transaction token | " + a));
            assertEquals(transactions, injected);
            assertEquals(transactions, sameToken, "every retry resent the first attempt's token");
            assertEquals(List.of(), misreports, "committed, or outcome unknown");
            assertEquals(0, doubleApplies, "applied once, not twice");
        }
    }

    // ------------------------------------------------------------------ lost responses at scale

    @Nested
    @DisplayName("1,000 responses lost after DynamoDB applied the write")
    class LostResponsesAtScale {
        /** Lost responses injected on "if absent" creates of fresh keys, and as many on "if version" updates. */
        static final int INJECTIONS_PER_KIND = 500;
        /** Keys the "if version" updates go round. */
        static final int UPDATE_KEYS = 10;

        /** How many attempts' responses are lost, and whether another client overwrites the item before the retry. */
        enum Pattern {
            FIRST_LOST(1, false, "1st lost"),
            FIRST_TWO_LOST(2, false, "1st+2nd lost"),
            ALL_LOST(MAX_ATTEMPTS, false, "all " + MAX_ATTEMPTS + " lost"),
            LOST_THEN_OVERWRITTEN(1, true, "1st lost+overwritten");

            final int lost;
            final boolean overwritten;
            final String label;

            Pattern(int lost, boolean overwritten, String label) {
                this.lost = lost;
                this.overwritten = overwritten;
                this.label = label;
            }
        }

        /** Figures of one kind of write. */
        final class Tally {
            final String kind;
            int writes;
            int injections;
            int attempts;
            int misreports;
            int conditionFailed;
            int doubleApplies;
            int notApplied;
            final Map<String, Integer> outcomes = new java.util.TreeMap<>();
            final Map<String, Integer> byPattern = new java.util.LinkedHashMap<>();
            final List<String> problems = new ArrayList<>();
            /** Retried writes that ended as "outcome unknown" rather than the success the retry could prove. */
            final List<String> unproven = new ArrayList<>();

            Tally(String kind) {
                this.kind = kind;
            }

            @Override
            public String toString() {
                return kind + ": writes=" + writes + " injections=" + injections + " PutItem attempts=" + attempts
                        + " outcomes=" + outcomes + " by pattern=" + byPattern + " condition failed=" + conditionFailed
                        + " misreports=" + misreports + " double applies=" + doubleApplies + " not applied=" + notApplied;
            }
        }

        private FaultInjectingHttpClient soakFaults;
        private String retryStrategy = "unknown";

        @Test
        @DisplayName("each reported as success with the right version or as outcome unknown: never a failed condition, never applied twice")
        void thousand() {
            var section = TestConfigs.section(DYNAMODB.endpoint(), Map.of("max_attempts", String.valueOf(MAX_ATTEMPTS)));
            // The SDK's retry quota (circuit breaker) is a client-wide budget that a thousand
            // back-to-back lost responses would drain, after which the SDK stops retrying: the
            // outcomes would stay correct (outcome unknown) but the retried paths would go
            // untested. It is switched off here; everything else is the configured strategy.
            ClientFactory.Hooks hooks = new ClientFactory.Hooks(List.of(),
                    http -> soakFaults = new FaultInjectingHttpClient(http),
                    b -> {
                        b.backoffStrategy(BackoffStrategy.exponentialDelay(Duration.ofMillis(1), Duration.ofMillis(20)))
                                .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(Duration.ofMillis(1),
                                        Duration.ofMillis(20)));
                        retryStrategy = b.getClass().getName().replaceAll(".*\\.", "");
                        if (b instanceof StandardRetryStrategy.Builder sb) {
                            sb.circuitBreakerEnabled(false);
                        } else if (b instanceof software.amazon.awssdk.retries.LegacyRetryStrategy.Builder lb) {
                            lb.circuitBreakerEnabled(false);
                        } else {
                            throw new AssertionError("unexpected retry strategy builder " + b.getClass());
                        }
                    });
            long started = System.nanoTime();
            try (DynamoDbBackend soak = DynamoDbStorageProvider.open(DynamoDbSettings.from(section),
                    new ProviderContext(section, clock), hooks, BATCH_RETRIES)) {
                await(soak.prepareTable(STORE));

                Tally creates = new Tally("if absent creates");
                for (int i = 0; creates.injections < INJECTIONS_PER_KIND; i++) {
                    Pattern p = pattern(i, INJECTIONS_PER_KIND - creates.injections);
                    one(soak, creates, p, Key.of(pk, "create-" + i), Condition.ifAbsent(), 0);
                }

                Tally updates = new Tally("if version updates");
                long[] versions = new long[UPDATE_KEYS];
                for (int k = 0; k < UPDATE_KEYS; k++) {
                    seed(Key.of(pk, "update-" + k), 1);
                    versions[k] = 1;
                }
                for (int i = 0; updates.injections < INJECTIONS_PER_KIND; i++) {
                    Pattern p = pattern(i, INJECTIONS_PER_KIND - updates.injections);
                    int k = i % UPDATE_KEYS;
                    versions[k] = one(soak, updates, p, Key.of(pk, "update-" + k), Condition.ifVersion(versions[k]),
                            versions[k]);
                }

                long ms = (System.nanoTime() - started) / 1_000_000;
                int misreports = creates.misreports + updates.misreports;
                int doubleApplies = creates.doubleApplies + updates.doubleApplies;
                figure("lost responses: injections=" + (creates.injections + updates.injections) + " writes="
                        + (creates.writes + updates.writes) + " misreports=" + misreports + " double applies="
                        + doubleApplies + " max_attempts=" + MAX_ATTEMPTS + " retry strategy=" + retryStrategy
                        + " (retry quota off) time=" + ms + " ms");
                figure("lost responses | " + creates);
                figure("lost responses | " + updates);
                for (Tally t : List.of(creates, updates)) {
                    t.unproven.stream().limit(5).forEach(u -> figure("lost responses | " + t.kind + " | unknown where success was provable: " + u));
                }
                List<String> problems = new ArrayList<>(creates.problems);
                problems.addAll(updates.problems);
                assertEquals(List.of(), problems.subList(0, Math.min(10, problems.size())), "first problems");
                assertEquals(INJECTIONS_PER_KIND, creates.injections);
                assertEquals(INJECTIONS_PER_KIND, updates.injections);
                assertEquals(0, misreports, "misreported outcomes");
                assertEquals(0, creates.conditionFailed + updates.conditionFailed, "false condition failures");
                assertEquals(0, doubleApplies, "double applies");
                assertEquals(0, creates.notApplied + updates.notApplied, "writes the server applied but read back missing");
            }
        }

        /** The i-th write's pattern, within the injections left to reach the figure. */
        private Pattern pattern(int i, int left) {
            Pattern p = Pattern.values()[i % Pattern.values().length];
            return p.lost <= left ? p : Pattern.FIRST_LOST;
        }

        /**
         * One write of "mine" to {@code key} under {@code condition} over an item at version
         * {@code base} (0: absent) with {@code p}'s responses lost, judged against what is read back.
         *
         * @return the version the item has afterwards
         */
        private long one(DynamoDbBackend soak, Tally t, Pattern p, Key key, Condition condition, long base) {
            soakFaults.reset();
            soakFaults.plan((op, n) -> op.equals("PutItem") && n <= p.lost ? Fault.LOSE_RESPONSE : Fault.NONE);
            if (p.overwritten) {
                soakFaults.afterLoss(() -> bystander.put(put(key, "theirs", Condition.none(), null)));
            }
            Long reported = null;
            Throwable failure = null;
            try {
                reported = soak.put(put(key, "mine", condition, null)).get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                failure = Errors.unwrap(e.getCause());
            } catch (java.util.concurrent.TimeoutException | InterruptedException e) {
                throw new AssertionError("write to " + key + " (" + p.label + ") did not complete within 60 s", e);
            }
            t.writes++;
            t.injections += soakFaults.injected(Fault.LOSE_RESPONSE);
            t.attempts += soakFaults.calls("PutItem");
            String outcome = kind(failure);
            t.outcomes.merge(outcome, 1, Integer::sum);
            t.byPattern.merge(p.label + " -> " + outcome, 1, Integer::sum);

            RawItem stored = await(bystander.get(STORE, key)).orElse(null);
            long expected = base + (p.overwritten ? 2 : 1); // every attempt reached DynamoDB: applied once
            long actual = stored == null ? 0 : stored.version();
            String what = key + " (" + p.label + ", base " + base + "): reported " + (failure == null ? "v" + reported
                    : String.valueOf(failure)) + ", stored v" + actual;
            if (actual > expected) {
                t.doubleApplies++;
                t.problems.add("applied more than once: " + what);
            } else if (actual < expected) {
                t.notApplied++;
                t.problems.add("not applied: " + what);
            }
            if (failure instanceof ConditionFailedException) {
                t.conditionFailed++;
                t.misreports++;
                t.problems.add("false condition failure: " + what);
            } else if (failure == null) {
                boolean right = reported == base + 1
                        && (p.overwritten || (actual == reported && java.util.Arrays.equals(bytes("mine"), stored.payload())));
                if (!right) {
                    t.misreports++;
                    t.problems.add("success with the wrong version: " + what);
                }
            } else if (!(failure instanceof OutcomeUnknownException)) {
                t.misreports++;
                t.problems.add("unexpected kind: " + what);
            } else if (!p.overwritten && p.lost < MAX_ATTEMPTS) {
                t.unproven.add(what);
            }
            return actual;
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
            int putCalls = faults.calls("PutItem");
            int getCalls = faults.calls("GetItem");
            int throttled = faults.injected(Fault.THROTTLE);

            faults.reset();
            boolean written = await(backend.get(STORE, key)).isPresent();
            figure("throttling 100 %: max_attempts=" + MAX_ATTEMPTS + " put attempts=" + putCalls + " get attempts="
                    + getCalls + " throttled=" + throttled + " put outcome=" + kind(write) + " (retryable="
                    + write.retryable() + ") get outcome=" + kind(read) + " written=" + written);
            assertFalse(written, "the throttled put wrote nothing");
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
            int calls = faults.calls("PutItem") + faults.calls("GetItem");
            figure("throttling 50 %: operations=" + 2 * operations + " (puts=" + operations + " gets=" + operations
                    + ") calls=" + calls + " throttled=" + faults.injected(Fault.THROTTLE) + " succeeded="
                    + 2 * operations + " failed=0");
            assertEquals(2 * operations, faults.injected(Fault.THROTTLE), "half of all calls were throttled");
            assertEquals(4 * operations, calls);
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
            int refused = faults.injected(Fault.REFUSE);

            faults.plan((op, n) -> Fault.NONE);
            boolean healthyAgain = await(backend.health()).healthy();
            assertTrue(healthyAgain, "healthy again");
            assertEquals(1L, await(backend.put(put(key, "v", Condition.ifAbsent(), null))));
            assertArrayEquals(bytes("v"), await(backend.get(STORE, key)).orElseThrow().payload());
            System.out.println("[reliability] dynamodb | 9 endpoint down | every connection refused (injected, "
                    + "shared server): refused attempts=" + refused + " put=" + kind(write) + " get/query=UnavailableException"
                    + " health healthy=" + health.healthy() + "; connections back: health healthy=" + healthyAgain
                    + " put and get succeed");
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

    // ------------------------------------------------------------------ what is known after a failure

    @Nested
    @DisplayName("what an attempt's fate says (issue 12, section 2)")
    class Classification {
        @ParameterizedTest(name = "{0}")
        @ValueSource(strings = {"POOL_CLOSED", "ACQUIRE_TIMEOUT", "REFUSE"})
        @DisplayName("a write none of whose attempts got a connection is not written (UnavailableException), not outcome unknown")
        void neverSent(String kind) {
            Fault fault = Fault.valueOf(kind);
            Key key = Key.of(pk, "k");
            seed(key, 1);
            faults.plan((op, n) -> op.equals("PutItem") ? fault : Fault.NONE);

            StoreException e = failure(backend.put(put(key, "mine", Condition.ifVersion(1), null)));

            assertInstanceOf(UnavailableException.class, e, "nothing was sent: " + e);
            assertTrue(e.retryable());
            // The SDK retries refused connections (I/O errors), not a closed pool or an acquire timeout.
            assertEquals(fault == Fault.REFUSE ? MAX_ATTEMPTS : 1, faults.calls("PutItem"), "attempts");
            assertEquals(1, await(bystander.get(STORE, key)).orElseThrow().version(), "nothing written");
            figure("never sent (" + kind + " on every attempt): conditional put=" + kind(e) + " attempts="
                    + faults.calls("PutItem") + " written=false");
        }

        @Test
        @DisplayName("a lost response, then attempts that never got a connection: outcome unknown (the first may have applied)")
        void lostThenNeverSent() {
            Key key = Key.of(pk, "k");
            seed(key, 1);
            faults.plan((op, n) -> op.equals("PutItem") ? (n == 1 ? Fault.LOSE_RESPONSE : Fault.ACQUIRE_TIMEOUT) : Fault.NONE);
            StoreException e = failure(backend.put(put(key, "mine", Condition.ifVersion(1), null)));
            assertInstanceOf(OutcomeUnknownException.class, e, "the first attempt reached DynamoDB: " + e);
            assertEquals(2, await(bystander.get(STORE, key)).orElseThrow().version(), "it was in fact applied");
        }

        @Test
        @DisplayName("2xx headers, then the body cut, then another writer: an if-absent put is outcome unknown, never a failed condition")
        void okHeadersThenCutAndOverwritten() {
            Key key = Key.of(pk, "k");
            faults.plan((op, n) -> op.equals("PutItem") && n == 1 ? Fault.HEADERS_THEN_CUT : Fault.NONE);
            faults.afterLoss(() -> bystander.put(put(key, "theirs", Condition.none(), null)));

            StoreException e = failure(backend.put(put(key, "mine", Condition.ifAbsent(), null)));

            assertEquals(1, faults.injected(Fault.HEADERS_THEN_CUT));
            assertInstanceOf(OutcomeUnknownException.class, e, "the first attempt was applied (200): " + e);
            assertEquals(2, await(bystander.get(STORE, key)).orElseThrow().version(), "mine (v1), then theirs (v2)");
            figure("2xx headers then body cut, then overwritten: if-absent put=" + kind(e) + " (not ConditionFailedException)");
        }

        @Test
        @DisplayName("2xx headers, then the body cut, on every attempt: outcome unknown, not 'not written'")
        void okHeadersThenCutAlways() {
            Key key = Key.of(pk, "k");
            seed(key, 1);
            faults.plan((op, n) -> op.equals("PutItem") ? Fault.HEADERS_THEN_CUT : Fault.NONE);
            StoreException e = failure(backend.put(put(key, "mine", Condition.ifVersion(1), null)));
            assertInstanceOf(OutcomeUnknownException.class, e, "it was applied: " + e);
            assertFalse(e.retryable());
            assertEquals(2, await(bystander.get(STORE, key)).orElseThrow().version());
        }

        @Test
        @DisplayName("2xx headers, then the body cut, and a retry: the retry recognises its own write (success, applied once)")
        void okHeadersThenCutOnce() {
            Key key = Key.of(pk, "k");
            faults.plan((op, n) -> op.equals("PutItem") && n == 1 ? Fault.HEADERS_THEN_CUT : Fault.NONE);
            assertEquals(1L, await(backend.put(put(key, "mine", Condition.ifAbsent(), null))));
            assertEquals(1, await(bystander.get(STORE, key)).orElseThrow().version());
        }

        @Test
        @DisplayName("a 5xx after DynamoDB applied a write, on every attempt: outcome unknown")
        void serverErrorAfterApply() {
            Key key = Key.of(pk, "k");
            faults.plan((op, n) -> op.equals("PutItem") ? Fault.SERVER_ERROR : Fault.NONE);
            StoreException e = failure(backend.put(put(key, "mine", Condition.ifAbsent(), null)));
            assertInstanceOf(OutcomeUnknownException.class, e, "it was applied: " + e);
            assertTrue(await(bystander.get(STORE, key)).isPresent());
        }

        @Test
        @DisplayName("an unconditional delete applied after a lost response: success (true), not outcome unknown; the item is gone")
        void deleteAfterLostResponse() {
            Key key = Key.of(pk, "k");
            seed(key, 1);
            faults.plan((op, n) -> op.equals("DeleteItem") && n == 1 ? Fault.LOSE_RESPONSE : Fault.NONE);

            boolean deleted = await(backend.delete(new WriteOp.Delete(STORE, key, Condition.none())));

            assertEquals(1, faults.injected(Fault.LOSE_RESPONSE));
            // At least one retry; on a loaded machine a retry may itself time out and be sent again.
            int calls = faults.calls("DeleteItem");
            assertTrue(calls >= 2, "the lost response was retried: " + calls + " DeleteItem calls");
            assertTrue(deleted, "an item may have been deleted by this call: true (documented on Store.delete)");
            assertTrue(await(bystander.get(STORE, key)).isEmpty(), "the item is gone");
            // Without an ambiguous attempt, a delete of nothing is a certain false.
            assertFalse(await(backend.delete(new WriteOp.Delete(STORE, key, Condition.none()))));
            figure("unconditional delete, first response lost: outcome=success(" + deleted + ") item gone=true; "
                    + "delete of nothing without faults=false");
        }

        @Test
        @DisplayName("a batch delete whose every answer is lost: its keys are in doubt, none listed as not written")
        void batchDeleteInDoubt() {
            List<WriteOp> deletes = seedMany(5);
            faults.plan((op, n) -> op.equals("BatchWriteItem") ? Fault.LOSE_RESPONSE : Fault.NONE);

            BatchWriteException bwe = assertInstanceOf(BatchWriteException.class,
                    failure(backend.batchWrite(STORE, deletes)));

            assertEquals(List.of(), bwe.unprocessed(), "nothing is known not to be written");
            assertEquals(deletes.stream().map(WriteOp::key).collect(java.util.stream.Collectors.toSet()),
                    java.util.Set.copyOf(bwe.inDoubt()));
            for (WriteOp d : deletes) {
                assertTrue(await(bystander.get(STORE, d.key())).isEmpty(), "in fact applied: " + d.key());
            }
        }

        @Test
        @DisplayName("a batch with throttled puts and lost delete answers: the puts are not written, the deletes in doubt")
        void batchMixed() {
            List<WriteOp> deletes = seedMany(3);
            List<WriteOp> writes = new ArrayList<>(deletes);
            List<Key> puts = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Key key = Key.of(pk, "new" + i);
                puts.add(key);
                writes.add(put(key, "v", Condition.none(), null));
            }
            faults.plan((op, n) -> op.equals("UpdateItem") ? Fault.THROTTLE
                    : op.equals("BatchWriteItem") ? Fault.LOSE_RESPONSE : Fault.NONE);

            BatchWriteException bwe = assertInstanceOf(BatchWriteException.class, failure(backend.batchWrite(STORE, writes)));

            assertEquals(java.util.Set.copyOf(puts), java.util.Set.copyOf(bwe.unprocessed()));
            assertEquals(deletes.stream().map(WriteOp::key).collect(java.util.stream.Collectors.toSet()),
                    java.util.Set.copyOf(bwe.inDoubt()));
            assertTrue(bwe.retryable(), "the keys not written were throttled");
            faults.reset();
            for (Key k : puts) {
                assertTrue(await(bystander.get(STORE, k)).isEmpty(), k + " not written");
            }
            figure("batch: 3 puts throttled on every attempt + 3 deletes whose answers were lost: unprocessed="
                    + bwe.unprocessed().size() + " inDoubt=" + bwe.inDoubt().size() + " retryable=" + bwe.retryable());
        }

        @Test
        @DisplayName("the injector's armed fault hits exactly the N-th HTTP call, once, and counts calls")
        void armed() {
            Key key = Key.of(pk, "k");
            faults.arm(2, Fault.REFUSE);
            await(backend.put(put(key, "a", Condition.ifAbsent(), null)));   // call 1
            await(backend.get(STORE, key));                                    // call 2 refused, retried as call 3
            await(backend.get(STORE, key));                                    // call 4
            assertEquals("GetItem", faults.armedOperation());
            assertEquals(1, faults.injected(Fault.REFUSE));
            assertEquals(4, faults.calls());
            faults.arm(1, Fault.THROTTLE);
            faults.disarm();
            await(backend.get(STORE, key));
            assertEquals(1, faults.injected(Fault.REFUSE) + faults.injected(Fault.THROTTLE), "disarmed before it fired");
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Prints one figure line of docs/reliability.md's item 8 to the build log. */
    static void figure(String text) {
        System.out.println("[reliability] dynamodb | 8 injected faults | " + text);
    }

    static String kind(Throwable t) {
        return t == null ? "success" : t.getClass().getSimpleName();
    }

    /**
     * Records the client request token of every {@code TransactWriteItems} attempt sent, and
     * what each attempt and call ended with.
     */
    static final class TransactionTokens implements ExecutionInterceptor {
        private final List<String> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            if (context.request() instanceof TransactWriteItemsRequest r) {
                sent.add(r.clientRequestToken());
                events.add("attempt token=" + r.clientRequestToken());
            }
        }

        @Override
        public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
            if (context.request() instanceof TransactWriteItemsRequest) {
                events.add("HTTP " + context.httpResponse().statusCode());
            }
        }

        @Override
        public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
            if (context.request() instanceof TransactWriteItemsRequest) {
                events.add("call failed: " + context.exception());
            }
        }

        List<String> sent() {
            return List.copyOf(sent);
        }

        List<String> events() {
            return List.copyOf(events);
        }

        void reset() {
            sent.clear();
            events.clear();
        }
    }

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
