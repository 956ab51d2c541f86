package dev.polystore.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Health;
import dev.polystore.Item;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.StoreFactory;
import dev.polystore.Store;
import dev.polystore.UnavailableException;
import dev.polystore.testkit.net.FaultProxy;
import dev.polystore.testkit.redis.RedisServer;
import dev.polystore.testkit.redis.RedisServerExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A path that stops answering (the proxy {@linkplain FaultProxy#hold() holds}: TCP stays up,
 * nothing comes back) must not hang anyone: with the default settings every single-item call
 * fails within {@code command_timeout_ms} (5 s), reads as {@link UnavailableException}, writes
 * as {@link OutcomeUnknownException}; health turns unhealthy; the same {@code Storage} works
 * again once the path heals. And {@code close()} drains what is in flight, within
 * {@code close_timeout_ms}, failing what cannot finish instead of leaving it pending.
 */
class RedisHungPathTest {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    /** Slack for a loaded machine on top of the documented bound (not a speed check). */
    private static final Duration SLACK = Duration.ofSeconds(5);

    private FaultProxy proxy;
    private String prefix;

    @BeforeEach
    void start() {
        RedisServer server = REDIS.server();
        proxy = FaultProxy.start(server.host(), server.port());
        prefix = "h" + UUID.randomUUID().toString().substring(0, 8) + ":";
    }

    @AfterEach
    void stop() {
        proxy.close();
    }

    private Storage open(Map<String, Object> extra) {
        var b = TestConfigs.redis("redis://" + proxy.host() + ":" + proxy.port()).set("redis.key_prefix", prefix);
        extra.forEach((k, v) -> b.set("redis." + k, v));
        return StoreFactory.open(b.build());
    }

    /** Waits for {@code f} (at most a minute) and returns how long it took from {@code start}, and how it ended. */
    private static Map.Entry<Long, Throwable> settle(CompletableFuture<?> f, long start) {
        Throwable failure = null;
        try {
            f.get(1, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            failure = e.getCause();
        } catch (Exception e) {
            throw new AssertionError("a call on a hung path did not complete within a minute", e);
        }
        return Map.entry(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), failure == null ? new NoError() : failure);
    }

    /** Stands for "completed normally" in the figures. */
    private static final class NoError extends Throwable {
        private static final long serialVersionUID = 1L;

        NoError() {
            super("success", null, false, false);
        }
    }

    @Test
    @DisplayName("with default settings a hung path fails get, put, delete and query within command_timeout_ms (5 s), and the storage recovers")
    void hungPathFailsWithinTheDefaultBound() throws Exception {
        long bound = RedisSettings.DEFAULT_COMMAND_TIMEOUT.toMillis();
        try (Storage storage = open(Map.of())) {
            Store<String> s = storage.store("hung", Codec.utf8());
            s.put(Item.of("p", "a", "before")).get(1, TimeUnit.MINUTES);
            proxy.hold();
            long start = System.nanoTime();
            Map<String, CompletableFuture<?>> calls = new LinkedHashMap<>();
            calls.put("get", s.get("p", "a"));
            calls.put("put", s.put(Item.of("p", "b", "during")));
            calls.put("delete", s.delete("p", "a"));
            calls.put("query", s.query(Query.partition("p")));
            calls.put("batch get", s.batchGet(List.of(dev.polystore.Key.of("p", "a"))));
            Map<String, String> figures = new LinkedHashMap<>();
            long slowest = 0;
            for (Map.Entry<String, CompletableFuture<?>> c : calls.entrySet()) {
                Map.Entry<Long, Throwable> r = settle(c.getValue(), start);
                figures.put(c.getKey(), r.getValue().getClass().getSimpleName() + " after " + r.getKey() + " ms");
                slowest = Math.max(slowest, r.getKey());
                boolean write = c.getKey().equals("put") || c.getKey().equals("delete");
                Class<?> expected = write ? OutcomeUnknownException.class : UnavailableException.class;
                assertTrue(expected.isInstance(r.getValue()), c.getKey() + " on a hung path: expected "
                        + expected.getSimpleName() + ", got " + r.getValue());
                assertTrue(r.getKey() <= bound + SLACK.toMillis(), c.getKey() + " took " + r.getKey()
                        + " ms on a hung path; the documented bound is " + bound + " ms");
            }
            long hs = System.nanoTime();
            Health h = storage.health().get(1, TimeUnit.MINUTES);
            long healthMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - hs);
            assertFalse(h.healthy(), "health on a hung path: " + h);
            proxy.heal();
            long healStart = System.nanoTime();
            String after = null;
            while (after == null && System.nanoTime() - healStart < TimeUnit.SECONDS.toNanos(30)) {
                try {
                    after = s.put(Item.of("p", "c", "after")).get(1, TimeUnit.MINUTES).value();
                } catch (ExecutionException e) {
                    Thread.sleep(50);
                }
            }
            long recovered = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healStart);
            assertEquals("after", after, "the same Storage writes again once the path heals");
            assertTrue(storage.health().get(1, TimeUnit.MINUTES).healthy());
            Report.print("hung path", "command_timeout_ms=" + bound + " (default) calls=" + figures + " slowest=" + slowest
                    + " ms health=unhealthy after " + healthMillis + " ms recovered after heal in " + recovered + " ms");
        }
    }

    @Test
    @DisplayName("close() waits for the calls in flight, which all complete")
    void closeDrains() throws Exception {
        Storage storage = open(Map.of());
        Store<String> s = storage.store("drain", Codec.utf8());
        List<CompletableFuture<?>> calls = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            calls.add(s.put(Item.of("p", "k" + i, "v")));
        }
        long start = System.nanoTime();
        storage.close();
        long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        long done = calls.stream().filter(CompletableFuture::isDone).count();
        long failed = calls.stream().filter(CompletableFuture::isCompletedExceptionally).count();
        Report.print("close drains", "in flight=" + calls.size() + " done when close returned=" + done + " failed=" + failed
                + " close took=" + closeMillis + " ms");
        assertEquals(calls.size(), done, "every call in flight is complete when close() returns");
        assertEquals(0, failed, "a healthy server lets every call in flight finish before close() closes the connection");
    }

    @Test
    @DisplayName("close() on a hung path gives up after close_timeout_ms: writes in flight fail as outcome unknown, none is left pending")
    void closeOnAHungPath() throws Exception {
        Storage storage = open(Map.of("close_timeout_ms", 1000));
        Store<String> s = storage.store("drain", Codec.utf8());
        s.put(Item.of("p", "warm", "v")).get(1, TimeUnit.MINUTES);
        proxy.hold();
        List<CompletableFuture<?>> calls = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            calls.add(s.put(Item.of("p", "k" + i, "v")));
        }
        long start = System.nanoTime();
        storage.close();
        long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        Map<String, Integer> kinds = new java.util.TreeMap<>();
        for (CompletableFuture<?> c : calls) {
            Map.Entry<Long, Throwable> r = settle(c, start);
            kinds.merge(r.getValue().getClass().getSimpleName(), 1, Integer::sum);
        }
        Report.print("close on a hung path", "close_timeout_ms=1000 in flight=" + calls.size() + " close took=" + closeMillis
                + " ms outcomes=" + kinds);
        assertTrue(closeMillis <= 1000 + SLACK.toMillis(), "close() took " + closeMillis + " ms with close_timeout_ms = 1000");
        assertEquals(Map.of("OutcomeUnknownException", calls.size()), kinds,
                "writes cut off by close() may have reached Redis: outcome unknown, never success or not written");
        Map.Entry<Long, Throwable> after = settle(s.get("p", "warm"), System.nanoTime());
        assertTrue(after.getValue() instanceof UnavailableException, "after close every call fails with "
                + "UnavailableException, got " + after.getValue());
    }
}
