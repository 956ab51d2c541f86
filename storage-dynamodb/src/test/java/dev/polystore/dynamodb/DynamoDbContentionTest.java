package dev.polystore.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Condition;
import dev.polystore.Key;
import dev.polystore.UnavailableException;
import dev.polystore.dynamodb.FaultInjectingHttpClient.Fault;
import dev.polystore.spi.ConfigSection;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.WriteOp;
import dev.polystore.testkit.MutableClock;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 11 section 4, "hot key transactions", across clients: the kit's hot-key contract runs 8
 * writers on one storage, whose transactions take turns on the item; here the writers are spread
 * over 4 backends with separate SDK clients (as 4 processes would be), so their transactions do
 * cancel each other, and must still all commit (learned versions, backoff, the bulk budget). And
 * the declared limit: contention sustained past {@code bulk_call_timeout_ms} fails the
 * transaction with the retryable {@link UnavailableException}, nothing written.
 */
class DynamoDbContentionTest {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();

    static final String STORE = "contention";
    static final int CLIENTS = 4;
    static final int WRITERS_PER_CLIENT = 2;
    static final int TRANSACTIONS_PER_WRITER = 15;

    @Test
    @DisplayName("8 writers on 4 clients x 15 transactions putting one key unconditionally: all commit, versions 1 to 120 once each")
    void acrossClients() throws Exception {
        ConfigSection section = TestConfigs.section(DYNAMODB.endpoint(), Map.of());
        List<DynamoDbBackend> backends = new ArrayList<>();
        List<FaultInjectingHttpClient> counters = new ArrayList<>();
        String pk = "hot-" + UUID.randomUUID();
        Key hot = Key.of(pk, "key");
        Map<Long, String> committed = new ConcurrentHashMap<>();
        List<String> failures = new CopyOnWriteArrayList<>();
        int total = CLIENTS * WRITERS_PER_CLIENT * TRANSACTIONS_PER_WRITER;
        long began;
        long ms;
        // (began/ms are set once the writers start)
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS * WRITERS_PER_CLIENT);
        try {
            for (int c = 0; c < CLIENTS; c++) {
                ClientFactory.Hooks hooks = new ClientFactory.Hooks(List.of(),
                        h -> {
                            FaultInjectingHttpClient f = new FaultInjectingHttpClient(h);
                            counters.add(f);
                            return f;
                        }, b -> { });
                DynamoDbBackend b = DynamoDbStorageProvider.open(DynamoDbSettings.from(section),
                        new ProviderContext(section, MutableClock.startingNow()), hooks, 3);
                b.prepareTable(STORE).join();
                backends.add(b);
            }
            counters.forEach(FaultInjectingHttpClient::reset);
            CyclicBarrier start = new CyclicBarrier(CLIENTS * WRITERS_PER_CLIENT);
            List<Future<?>> writers = new ArrayList<>();
            began = System.nanoTime();
            for (int w = 0; w < CLIENTS * WRITERS_PER_CLIENT; w++) {
                int writer = w;
                DynamoDbBackend backend = backends.get(w % CLIENTS);
                writers.add(pool.submit(() -> {
                    start.await();
                    for (int j = 0; j < TRANSACTIONS_PER_WRITER; j++) {
                        String value = "w" + writer + "-" + j;
                        try {
                            List<Long> versions = backend.transact(List.of(put(hot, value, Condition.none()),
                                    put(Key.of(pk, "own-" + value), value, Condition.ifAbsent())))
                                    .get(120, TimeUnit.SECONDS);
                            if (committed.putIfAbsent(versions.get(0), value) != null) {
                                failures.add("version " + versions.get(0) + " handed out twice");
                            }
                        } catch (java.util.concurrent.ExecutionException e) {
                            failures.add(value + ": " + e.getCause());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : writers) {
                f.get(10, TimeUnit.MINUTES);
            }
            ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
            int transactCalls = counters.stream().mapToInt(f -> f.calls("TransactWriteItems")).sum();
            int reads = counters.stream().mapToInt(f -> f.calls("BatchGetItem")).sum();
            RawItem stored = backends.get(0).get(STORE, hot).join().orElseThrow();
            System.out.println("[reliability] dynamodb | hot key transactions across clients | clients=" + CLIENTS
                    + " writers=" + CLIENTS * WRITERS_PER_CLIENT + " transactions=" + total + " committed="
                    + committed.size() + " failed=" + failures.size() + " TransactWriteItems calls=" + transactCalls
                    + " (" + String.format("%.2f", transactCalls / (double) total) + " per transaction) BatchGetItem calls="
                    + reads + " final version=" + stored.version() + " time=" + ms + " ms");
            assertEquals(List.of(), failures, "ordinary contention across clients must not fail a transaction");
            for (long v = 1; v <= total; v++) {
                assertTrue(committed.containsKey(v), "no commit was handed version " + v);
            }
            assertEquals(total, stored.version());
        } finally {
            pool.shutdownNow();
            backends.forEach(DynamoDbBackend::close);
        }
    }

    @Test
    @DisplayName("contention sustained past bulk_call_timeout_ms fails as declared: UnavailableException, retryable, nothing written")
    void sustainedPastTheBudget() {
        ConfigSection section = TestConfigs.section(DYNAMODB.endpoint(), Map.of(
                "bulk_call_timeout_ms", "8000", "bulk_call_attempt_timeout_ms", "8000"));
        FaultInjectingHttpClient[] faults = new FaultInjectingHttpClient[1];
        ClientFactory.Hooks hooks = new ClientFactory.Hooks(List.of(), h -> faults[0] = new FaultInjectingHttpClient(h),
                b -> { });
        String pk = "sustained-" + UUID.randomUUID();
        Key hot = Key.of(pk, "key");
        Key own = Key.of(pk, "own");
        try (DynamoDbBackend backend = DynamoDbStorageProvider.open(DynamoDbSettings.from(section),
                new ProviderContext(section, MutableClock.startingNow()), hooks, 3);
             DynamoDbBackend other = DynamoDbStorageProvider.open(DynamoDbSettings.from(section),
                     new ProviderContext(section, MutableClock.startingNow()), ClientFactory.Hooks.NONE, 3)) {
            backend.prepareTable(STORE).join();
            other.prepareTable(STORE).join();
            // Another client writes the hot key just before every round of ours reaches DynamoDB.
            faults[0].plan((op, n) -> op.equals("TransactWriteItems") ? Fault.INTERLEAVE : Fault.NONE);
            faults[0].interleave(() -> other.put(put(hot, "theirs", Condition.none())));

            long t0 = System.nanoTime();
            CompletableFuture<List<Long>> tx = backend.transact(List.of(put(hot, "mine", Condition.none()),
                    put(own, "mine", Condition.ifAbsent())));
            Throwable e = null;
            try {
                tx.get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException ex) {
                e = ex.getCause();
            } catch (Exception ex) {
                throw new AssertionError(ex);
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            int rounds = faults[0].calls("TransactWriteItems");
            System.out.println("[reliability] dynamodb | hot key transactions across clients | another client writing "
                    + "before every round, bulk_call_timeout_ms=8000: " + (e == null ? "committed" : e.getClass().getSimpleName())
                    + " after " + rounds + " rounds, " + ms + " ms");
            UnavailableException u = assertInstanceOf(UnavailableException.class, e, "the declared limit");
            assertTrue(u.retryable());
            assertTrue(u.getMessage().contains("bulk_call_timeout_ms"), u.getMessage());
            assertTrue(rounds >= 2, "it kept trying within the budget: " + rounds + " rounds");
            faults[0].reset();
            assertTrue(backend.get(STORE, own).join().isEmpty(), "nothing of the failed transaction was written");
            assertTrue(!java.util.Arrays.equals("mine".getBytes(StandardCharsets.UTF_8),
                    backend.get(STORE, hot).join().orElseThrow().payload()), "the hot key holds the other client's value");
        }
    }

    private static WriteOp.Put put(Key key, String value, Condition condition) {
        return new WriteOp.Put(STORE, key, value.getBytes(StandardCharsets.UTF_8), null, condition);
    }
}
