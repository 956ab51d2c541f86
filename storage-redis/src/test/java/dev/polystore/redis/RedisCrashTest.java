package dev.polystore.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Storage;
import dev.polystore.StoreFactory;
import dev.polystore.Store;
import dev.polystore.UnavailableException;
import dev.polystore.testkit.redis.RedisProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of redis-server under acknowledged writes, then a restart on the same data
 * directory, for each persistence setting the docs describe (docs/redis.md#durability):
 * <ul>
 *   <li>{@code appendfsync always}: 0 acknowledged writes lost, every round;</li>
 *   <li>{@code appendfsync everysec}: the loss measured and printed. The docs predict none for a
 *       crash of the process alone (Redis writes the AOF buffer to the kernel before it answers,
 *       except while a slow fsync delays that write, up to 2 s); what everysec can lose is on an
 *       OS crash or power loss, which a test cannot stage;</li>
 *   <li>{@code appendonly no} (no snapshots either): every acknowledged write lost, as predicted.</li>
 * </ul>
 * Writes that failed with {@link UnavailableException} must not be there after the restart.
 */
class RedisCrashTest {
    @TempDir
    Path dir;

    private int rounds() {
        return 4 * Scale.factor();
    }

    /** One crash round's results. */
    private record Round(int acked, int lost, int unavailablePresent, int unknown, int killedAfter) {
    }

    @Test
    @DisplayName("appendfsync always: kill -9 under acknowledged writes, restart, 0 acknowledged writes lost")
    void always() throws Exception {
        List<Round> rounds = run("always", true, "always");
        assertEquals(0, rounds.stream().mapToInt(Round::lost).sum(), "acknowledged writes lost with appendfsync always");
        assertTrue(rounds.stream().mapToInt(Round::acked).sum() > 0, "some writes were acknowledged before the kills");
    }

    @Test
    @DisplayName("appendfsync everysec: kill -9 under acknowledged writes, restart, the loss measured (predicted: none for a process crash)")
    void everysec() throws Exception {
        List<Round> rounds = run("everysec", true, "everysec");
        int acked = rounds.stream().mapToInt(Round::acked).sum();
        int lost = rounds.stream().mapToInt(Round::lost).sum();
        assertTrue(acked > 0, "some writes were acknowledged before the kills");
        // Not asserted to be 0: everysec promises nothing past the kernel, and a slow disk can hold
        // the AOF write back for up to 2 s. The figure is printed and recorded in docs/reliability.md.
        assertTrue(lost <= acked, "lost " + lost + " of " + acked);
    }

    @Test
    @DisplayName("appendonly no: kill -9 loses every acknowledged write, as the docs predict")
    void noAof() throws Exception {
        List<Round> rounds = run("no aof", false, "everysec");
        int acked = rounds.stream().mapToInt(Round::acked).sum();
        assertTrue(acked > 0, "some writes were acknowledged before the kills");
        assertEquals(acked, rounds.stream().mapToInt(Round::lost).sum(),
                "without AOF or snapshots a restart starts empty: every acknowledged write is lost");
    }

    private List<Round> run(String label, boolean aof, String fsync) throws Exception {
        Path data = Files.createDirectories(dir.resolve(label.replace(' ', '-')));
        RedisProcess server = RedisProcess.builder().dir(data).set("appendonly", aof ? "yes" : "no")
                .set("appendfsync", fsync).start();
        long seed = new Random().nextLong();
        Random random = new Random(seed);
        List<Round> results = new ArrayList<>();
        Map<String, Integer> outcomes = new TreeMap<>();
        long started = System.nanoTime();
        try {
            for (int round = 0; round < rounds(); round++) {
                results.add(round(server, round, random.nextInt(1500), outcomes));
            }
        } finally {
            server.close();
        }
        int acked = results.stream().mapToInt(Round::acked).sum();
        int lost = results.stream().mapToInt(Round::lost).sum();
        Report.print("kill -9, " + label, "appendonly=" + (aof ? "yes" : "no") + (aof ? " appendfsync=" + fsync : "")
                + " seed=" + seed + " rounds=" + results.size() + " acked=" + acked + " lost=" + lost
                + " kills after acks=" + results.stream().map(r -> String.valueOf(r.killedAfter())).toList()
                + " lost per round=" + results.stream().map(r -> String.valueOf(r.lost())).toList()
                + " unacknowledged outcomes=" + outcomes
                + " unavailable but present=" + results.stream().mapToInt(Round::unavailablePresent).sum()
                + " time=" + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started) + " ms");
        assertEquals(0, results.stream().mapToInt(Round::unavailablePresent).sum(),
                "writes reported as not written (UnavailableException) were found after the restart");
        return results;
    }

    private Round round(RedisProcess server, int round, int killAfter, Map<String, Integer> outcomes) throws Exception {
        Set<String> acked = ConcurrentHashMap.newKeySet();
        Set<String> unavailable = ConcurrentHashMap.newKeySet();
        AtomicInteger unknown = new AtomicInteger();
        AtomicBoolean killed = new AtomicBoolean();
        Storage opened;
        try {
            opened = StoreFactory.open(TestConfigs.redis(server.uri())
                    .set("redis.command_timeout_ms", 2000).set("redis.close_timeout_ms", 5000).build());
        } catch (RuntimeException e) {
            throw new AssertionError("round " + round + ": could not open on " + server + " (running=" + server.running()
                    + "); its log:\n" + server.log(), e);
        }
        try (Storage storage = opened) {
            Store<String> s = storage.store("crash", Codec.utf8());
            Semaphore window = new Semaphore(64);
            List<CompletableFuture<?>> writes = new ArrayList<>();
            for (int n = 0; !killed.get() && n < 100_000; n++) {
                window.acquire();
                String sk = String.format("r%02d-%06d", round, n);
                CompletableFuture<?> f = s.put(Item.of("crash", sk, "v" + n)).whenComplete((v, e) -> {
                    window.release();
                    if (e == null) {
                        if (acked.size() + 1 >= killAfter && killed.compareAndSet(false, true)) {
                            acked.add(sk);
                            new Thread(server::kill, "kill-redis").start();
                            return;
                        }
                        acked.add(sk);
                    } else {
                        Throwable t = e.getCause() != null ? e.getCause() : e;
                        outcomes.merge(t.getClass().getSimpleName(), 1, Integer::sum);
                        if (t instanceof UnavailableException) {
                            unavailable.add(sk);
                        } else {
                            unknown.incrementAndGet();
                        }
                    }
                });
                writes.add(f);
            }
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).handle((v, e) -> null)
                    .get(2, TimeUnit.MINUTES);
            while (server.running()) {
                Thread.sleep(10); // the killing thread may not have finished yet
            }
        }
        server.start(); // the same port and directory: Redis loads its AOF, if any
        int lost = 0;
        int unavailablePresent = 0;
        try (Storage check = StoreFactory.open(TestConfigs.redis(server.uri()).build())) {
            Store<String> s = check.store("crash", Codec.utf8());
            List<Key> keys = new ArrayList<>();
            acked.forEach(sk -> keys.add(Key.of("crash", sk)));
            Map<Key, Item<String>> found = keys.isEmpty() ? Map.of() : s.batchGet(keys).get(1, TimeUnit.MINUTES);
            lost = keys.size() - found.size();
            List<Key> notWritten = new ArrayList<>();
            unavailable.forEach(sk -> notWritten.add(Key.of("crash", sk)));
            if (!notWritten.isEmpty()) {
                unavailablePresent = s.batchGet(notWritten).get(1, TimeUnit.MINUTES).size();
            }
        }
        return new Round(acked.size(), lost, unavailablePresent, unknown.get(), killAfter);
    }
}
