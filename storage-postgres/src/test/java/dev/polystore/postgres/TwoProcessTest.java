package dev.polystore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.polystore.Codec;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import dev.polystore.testkit.reliability.ReliabilityContract;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two Polystore processes on one database: each JVM runs {@value #THREADS} threads, each making
 * {@value #INCREMENTS} (× {@code polystore.reliability.scale}) successful conditional increments
 * of one shared item (read, put {@code ifVersion(read version)}, retry on
 * {@link ConditionFailedException}). The counter must end at exactly the number of increments,
 * version + 1, and no exception other than {@code ConditionFailedException} may reach a caller.
 * Both children open their pools and start their threads before either writes.
 */
class TwoProcessTest {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    static final String[] PROCESSES = {"one", "two"};
    static final int THREADS = 4;
    static final int INCREMENTS = 250;

    @Test
    void twoProcessesIncrementOneItemExactly() throws Exception {
        int perThread = INCREMENTS * scale();
        int expected = PROCESSES.length * THREADS * perThread;
        StorageConfig config = Pg.config(POSTGRES.server()).build();
        String pk = "shared-" + System.nanoTime();
        try (Storage storage = StoreFactory.open(config)) {
            storage.store("twoproc", Codec.utf8()).put(Item.of(pk, "counter", "0")).join();
        }
        Map<String, Map<String, String>> results = new HashMap<>();
        List<String> problems = new ArrayList<>();
        String finalValue = "?";
        long finalVersion = -1;
        try {
            List<ChildJvm> children = new ArrayList<>();
            try {
                for (String name : PROCESSES) {
                    children.add(ChildJvm.start(Child.class, Duration.ofMinutes(5).multipliedBy(scale()),
                            POSTGRES.server().jdbcUrl(Pg.DATABASE), POSTGRES.server().user(), pk,
                            String.valueOf(THREADS), String.valueOf(perThread)));
                }
                for (int i = 0; i < children.size(); i++) {
                    StringBuilder before = new StringBuilder();
                    String line;
                    while ((line = children.get(i).readLine()) != null && !line.equals("ready")) {
                        before.append(line).append('\n');
                    }
                    assertEquals("ready", line, PROCESSES[i] + " exited before it was ready:\n" + before);
                }
                for (ChildJvm child : children) {
                    child.send("go");
                }
                for (int i = 0; i < children.size(); i++) {
                    ChildJvm child = children.get(i);
                    List<String> output = child.readToEnd();
                    int exit = child.waitFor();
                    Map<String, String> result = output.stream().filter(l -> l.startsWith("result ")).findFirst()
                            .map(TwoProcessTest::parse).orElse(null);
                    if (exit != 0 || result == null || output.size() != 1) {
                        problems.add(PROCESSES[i] + " (exit " + exit + ", hung " + child.hung() + "):\n" + String.join("\n", output));
                    }
                    if (result != null) {
                        results.put(PROCESSES[i], result);
                    }
                }
            } finally {
                for (ChildJvm child : children) {
                    child.close();
                }
            }
            try (Storage storage = StoreFactory.open(config)) {
                Item<String> counter = storage.store("twoproc", Codec.utf8()).get(pk, "counter").join().orElseThrow();
                finalValue = counter.value();
                finalVersion = counter.version();
            }
        } finally {
            long increments = sum(results, "increments");
            System.out.println("[reliability] postgres | 7 two processes | processes=" + PROCESSES.length + " threads="
                    + THREADS + " increments per thread=" + perThread + " increments=" + increments + " retries="
                    + sum(results, "retries") + " other exceptions=" + sum(results, "other") + " final value=" + finalValue
                    + " final version=" + finalVersion + " lost updates=" + (increments - parseOr(finalValue, 0)));
            System.out.flush();
        }
        assertEquals(List.of(), problems, "children failed");
        for (String name : PROCESSES) {
            assertEquals("0", results.get(name).get("other"), name + ": exceptions other than ConditionFailedException");
            assertEquals(String.valueOf(THREADS * perThread), results.get(name).get("increments"), name + ": increments");
        }
        assertEquals(String.valueOf(expected), finalValue, "no increment was lost");
        assertEquals(expected + 1, finalVersion);
    }

    private static Map<String, String> parse(String line) {
        Map<String, String> values = new HashMap<>();
        for (String token : line.substring("result ".length()).split(" ")) {
            int eq = token.indexOf('=');
            values.put(token.substring(0, eq), token.substring(eq + 1));
        }
        return values;
    }

    private static long sum(Map<String, Map<String, String>> results, String key) {
        return results.values().stream().mapToLong(r -> parseOr(r.get(key), 0)).sum();
    }

    private static long parseOr(String s, long otherwise) {
        try {
            return s == null ? otherwise : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    private static int scale() {
        return Integer.parseInt(System.getProperty(ReliabilityContract.SCALE_PROPERTY, "1").trim());
    }

    /**
     * One process: opens the database (url, user, pk, threads, increments per thread), starts the
     * threads, prints {@code ready}, waits for {@code go}, increments; prints
     * {@code result increments=… retries=… other=…} and the first unexpected exception.
     */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            String pk = args[2];
            int threads = Integer.parseInt(args[3]);
            int perThread = Integer.parseInt(args[4]);
            AtomicLong increments = new AtomicLong();
            AtomicLong retries = new AtomicLong();
            AtomicLong other = new AtomicLong();
            AtomicReference<Throwable> first = new AtomicReference<>();
            StorageConfig config = StorageConfig.builder().backend("postgres").set("postgres.url", args[0])
                    .set("postgres.user", args[1]).set("postgres.pool_size", threads)
                    // Generous timeouts: this test counts increments, and a machine loaded far past its
                    // cores (a load average of 35 on 2 cores was seen) can take seconds to log a child in.
                    .set("postgres.connect_timeout_ms", 60_000)
                    .set("postgres.statement_timeout_ms", 60_000)
                    .set("postgres.socket_timeout_ms", 120_000)
                    .build();
            try (Storage storage = StoreFactory.open(config)) {
                Store<String> s = storage.store("twoproc", Codec.utf8());
                s.get(pk, "counter").join();
                CountDownLatch go = new CountDownLatch(1);
                List<Thread> workers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    Thread worker = new Thread(() -> {
                        try {
                            go.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                        int done = 0;
                        int failures = 0;
                        while (done < perThread && failures < 100) {
                            try {
                                Item<String> c = s.get(pk, "counter").join().orElseThrow();
                                s.put(Item.of(pk, "counter", String.valueOf(Integer.parseInt(c.value()) + 1)),
                                        Condition.ifVersion(c.version())).join();
                                done++;
                                increments.incrementAndGet();
                            } catch (RuntimeException e) {
                                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                                if (cause instanceof ConditionFailedException) {
                                    retries.incrementAndGet();
                                } else {
                                    failures++;
                                    other.incrementAndGet();
                                    first.compareAndSet(null, cause);
                                }
                            }
                        }
                    }, "increment-" + t);
                    worker.setDaemon(true);
                    worker.start();
                    workers.add(worker);
                }
                System.out.println("ready");
                System.out.flush();
                String command = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                if (!"go".equals(command)) {
                    throw new IllegalStateException("expected go, got " + command);
                }
                go.countDown();
                for (Thread worker : workers) {
                    worker.join();
                }
            }
            System.out.println("result increments=" + increments + " retries=" + retries + " other=" + other);
            if (first.get() != null) {
                StringWriter trace = new StringWriter();
                first.get().printStackTrace(new PrintWriter(trace));
                System.out.println("first unexpected exception: " + trace);
            }
        }
    }
}
