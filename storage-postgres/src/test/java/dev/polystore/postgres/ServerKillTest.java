package dev.polystore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import dev.polystore.UnavailableException;
import dev.polystore.testkit.postgres.DedicatedPostgres;
import dev.polystore.testkit.reliability.ReliabilityContract;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill -9 of the PostgreSQL server during acknowledged writes: no acknowledged write is lost.
 *
 * <p>A dedicated embedded server (its own data directory, {@code fsync = on}) serves one
 * {@code Storage} with the backend's defaults ({@code synchronous_commit = on}, sent as a
 * connection option since the embedded server's own default is off). Each round keeps
 * {@value #IN_FLIGHT} puts in flight and SIGKILLs the postmaster and every server process at
 * once after a seeded random number of acknowledgements (some rounds at the very first one),
 * restarts the server on the same data directory and port (PostgreSQL replays its write-ahead
 * log) and checks, through the <em>same</em> {@code Storage} (no reopen: the pool replaces its
 * broken connections): every acknowledged key is there with its value; every write reported
 * {@link UnavailableException} ("not written") is absent; writes reported
 * {@link OutcomeUnknownException} are counted either way; no other failure. After the last
 * round every round's acknowledged keys are checked again. Rounds: {@value #ROUNDS} ×
 * {@code polystore.reliability.scale}; seed printed, {@value #SEED_PROPERTY} replays one.
 */
class ServerKillTest {
    static final String SEED_PROPERTY = "polystore.reliability.kill.seed";
    static final int ROUNDS = 10;
    static final int IN_FLIGHT = 64;
    static final int MAX_ACKS = 600;

    @TempDir
    Path dir;

    @Test
    void acknowledgedWritesSurviveKillDashNineOfTheServer() throws Exception {
        int rounds = ROUNDS * scale();
        long seed = Long.getLong(SEED_PROPERTY, new Random().nextLong());
        Random random = new Random(seed);
        List<String> problems = new ArrayList<>();
        Map<String, Set<String>> ackedByRound = new TreeMap<>();
        long acked = 0;
        long unknown = 0;
        long unknownApplied = 0;
        long unavailable = 0;
        long other = 0;
        long lost = 0;
        long lostAtEnd = -1;
        long serverProcessesKilled = 0;
        int roundsRun = 0;
        try (DedicatedPostgres server = DedicatedPostgres.start(dir.resolve("pgdata"), Map.of("fsync", "on"))) {
            Pg.ensure(server, "crash", "");
            // Pooled mode, so that IN_FLIGHT writes really are in flight at once.
            StorageConfig config = Pg.config(server, "crash").set("postgres.connect_timeout_ms", 2000)
                    .set("postgres.run_on_caller", false).build();
            try (Storage storage = StoreFactory.open(config)) {
                Store<String> s = storage.store("crash", Codec.utf8());
                s.get("warm", "up").join();
                for (int round = 0; round < rounds; round++) {
                    String pk = String.format("round-%04d", round);
                    int killAfter = round < 2 ? round + 1 : 1 + random.nextInt(MAX_ACKS);
                    Set<String> roundAcks = ConcurrentHashMap.newKeySet();
                    Map<String, Throwable> failed = new ConcurrentHashMap<>();
                    ackedByRound.put(pk, roundAcks);
                    Semaphore inFlight = new Semaphore(IN_FLIGHT);
                    AtomicBoolean stop = new AtomicBoolean();
                    AtomicInteger acks = new AtomicInteger();
                    List<CompletableFuture<?>> all = new ArrayList<>();
                    Thread writer = new Thread(() -> {
                        for (int i = 0; !stop.get(); i++) {
                            try {
                                inFlight.acquire();
                            } catch (InterruptedException e) {
                                return;
                            }
                            String sk = String.format("k%07d", i);
                            CompletableFuture<?> f = s.put(Item.of(pk, sk, value(pk, sk))).whenComplete((item, e) -> {
                                if (e == null) {
                                    roundAcks.add(sk);
                                    acks.incrementAndGet();
                                } else {
                                    failed.put(sk, e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
                                    stop.set(true);
                                }
                                inFlight.release();
                            });
                            synchronized (all) {
                                all.add(f);
                            }
                        }
                    }, "kill-test-writer");
                    writer.start();
                    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
                    while (acks.get() < killAfter && System.nanoTime() < deadline && failed.isEmpty()) {
                        Thread.onSpinWait();
                    }
                    serverProcessesKilled += server.kill();
                    stop.set(true);
                    writer.join(TimeUnit.MINUTES.toMillis(2));
                    // Restarted at once: writes still queued may then go through (and count as acknowledged).
                    server.restart();
                    List<CompletableFuture<?>> issued;
                    synchronized (all) {
                        issued = new ArrayList<>(all);
                    }
                    CompletableFuture.allOf(issued.stream().map(f -> f.handle((v, e) -> null))
                            .toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
                    roundsRun++;
                    acked += roundAcks.size();
                    Map<String, String> present = new HashMap<>();
                    for (Item<String> item : readAll(s, pk)) {
                        present.put(item.sk(), item.value());
                    }
                    for (String sk : roundAcks) {
                        if (!value(pk, sk).equals(present.get(sk))) {
                            lost++;
                            problems.add(pk + ": acknowledged " + sk + " is " + (present.containsKey(sk) ? "wrong" : "missing"));
                        }
                    }
                    for (Map.Entry<String, Throwable> e : failed.entrySet()) {
                        Throwable t = e.getValue();
                        if (t instanceof OutcomeUnknownException) {
                            unknown++;
                            unknownApplied += present.containsKey(e.getKey()) ? 1 : 0;
                        } else if (t instanceof UnavailableException) {
                            unavailable++;
                            if (present.containsKey(e.getKey())) {
                                problems.add(pk + ": " + e.getKey() + " was reported not written (" + t + ") but is there");
                            }
                        } else {
                            other++;
                            problems.add(pk + ": " + e.getKey() + " failed with " + t);
                        }
                    }
                }
                lostAtEnd = 0;
                for (Map.Entry<String, Set<String>> round : ackedByRound.entrySet()) {
                    Set<String> present = new java.util.HashSet<>();
                    readAll(s, round.getKey()).forEach(i -> present.add(i.sk()));
                    for (String sk : round.getValue()) {
                        if (!present.contains(sk)) {
                            lostAtEnd++;
                        }
                    }
                }
                if (lostAtEnd > 0) {
                    problems.add(lostAtEnd + " acknowledged writes missing after the last round");
                }
            }
        } finally {
            System.out.println("[reliability] postgres | 6 kill -9 of the server | seed=" + seed + " rounds=" + roundsRun
                    + "/" + rounds + " server processes killed=" + serverProcessesKilled + " acked=" + acked
                    + " failed outcome unknown=" + unknown + " (applied " + unknownApplied + ") failed unavailable="
                    + unavailable + " other failures=" + other + " reads retried while reconnecting=" + unavailableReads + " lost=" + lost + " lost at end=" + lostAtEnd);
            System.out.flush();
        }
        assertEquals(List.of(), problems, "replay with -D" + SEED_PROPERTY + "=" + seed);
        assertEquals(0, lost);
        assertEquals(0, lostAtEnd);
        assertTrue(acked > 0, "no write was ever acknowledged");
    }

    /**
     * Every item of the partition, retrying while the pool reconnects to the restarted server
     * (calls fail with the retryable UnavailableException meanwhile), for at most a minute.
     */
    private List<Item<String>> readAll(Store<String> s, String pk) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (true) {
            List<Item<String>> items = new ArrayList<>();
            try {
                s.forEach(Query.partition(pk).limit(1000), items::add).join();
                return items;
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof UnavailableException) || System.nanoTime() > deadline) {
                    throw e;
                }
                unavailableReads++;
                Thread.sleep(100);
            }
        }
    }

    private long unavailableReads;

    static String value(String pk, String sk) {
        return pk + "/" + sk + "/" + "v".repeat(200);
    }

    private static int scale() {
        int n = Integer.parseInt(System.getProperty(ReliabilityContract.SCALE_PROPERTY, "1").trim());
        if (n < 1) {
            throw new IllegalArgumentException(ReliabilityContract.SCALE_PROPERTY + " must be >= 1, got " + n);
        }
        return n;
    }
}
