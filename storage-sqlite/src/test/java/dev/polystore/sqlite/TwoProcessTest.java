package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.UnavailableException;
import dev.polystore.testkit.reliability.ReliabilityContract;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6, item 7: two JVMs, one file. Each process runs {@value #THREADS} threads, each doing
 * {@value #INCREMENTS} successful increments (× {@code polystore.reliability.scale}) of one
 * shared counter: read, put with {@code Condition.ifVersion(read version)}, and on
 * {@code ConditionFailedException} read again and retry. The two processes' writers contend for
 * SQLite's write lock, which the busy timeout (the default, 5 s) and the writer's retry absorb:
 * no exception other than {@code ConditionFailedException} may reach the caller (no
 * {@code SQLITE_BUSY}, no {@code UnavailableException}), and the counter ends at exactly
 * 2 × 4 × 250 = 2,000, version 2,001 (no lost update across processes). Both children open the
 * file and start their threads before either writes ("ready" / "go"), so the writes overlap.
 */
class TwoProcessTest {
    static final String[] PROCESSES = {"one", "two"};
    static final int THREADS = 4;
    static final int INCREMENTS = 250;

    @TempDir
    Path dir;

    @Test
    void twoProcessesIncrementOneItemWithoutLosingAnUpdate() throws Exception {
        int perThread = INCREMENTS * scale();
        int expected = PROCESSES.length * THREADS * perThread;
        Path db = dir.resolve("shared.db");
        try (Storage storage = Sqlite.open(db)) {
            await(Sqlite.strings(storage).put(Item.of("shared", "counter", "0")));
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
                            db.toString(), name, String.valueOf(THREADS), String.valueOf(perThread)));
                }
                // Both have opened the file and started their threads before either writes.
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
                    Map<String, String> result = output.stream().filter(l -> l.startsWith("result "))
                            .findFirst().map(TwoProcessTest::parse).orElse(null);
                    if (exit != 0 || result == null || output.size() != 1) {
                        problems.add(PROCESSES[i] + " (exit " + exit + ", hung " + child.hung() + "):\n"
                                + String.join("\n", output));
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
            try (Storage storage = Sqlite.open(db)) {
                Item<String> counter = await(Sqlite.strings(storage).get("shared", "counter")).orElseThrow();
                finalValue = counter.value();
                finalVersion = counter.version();
            }
        } finally {
            long increments = sum(results, "increments");
            StringBuilder line = new StringBuilder("[reliability] sqlite | 7 two processes | processes=")
                    .append(PROCESSES.length).append(" threads=").append(THREADS)
                    .append(" increments per thread=").append(perThread).append(" increments=").append(increments)
                    .append(" retries=").append(sum(results, "retries"));
            for (String name : PROCESSES) {
                line.append(" retries ").append(name).append('=')
                        .append(results.getOrDefault(name, Map.of()).getOrDefault("retries", "?"));
            }
            line.append(" unavailable=").append(sum(results, "unavailable"))
                    .append(" other exceptions=").append(sum(results, "other"))
                    .append(" final value=").append(finalValue).append(" final version=").append(finalVersion)
                    .append(" lost updates=").append(increments - parseOr(finalValue, 0));
            System.out.println(line);
            System.out.flush();
        }
        assertEquals(List.of(), problems, "children failed");
        for (String name : PROCESSES) {
            Map<String, String> r = results.get(name);
            assertEquals("0", r.get("unavailable"), name + ": UnavailableException (SQLITE_BUSY) reached the caller");
            assertEquals("0", r.get("other"), name + ": exceptions other than ConditionFailedException");
            assertEquals(String.valueOf(THREADS * perThread), r.get("increments"), name + ": increments");
        }
        assertEquals(String.valueOf(expected), finalValue, "no increment was lost");
        assertEquals(expected + 1, finalVersion);
    }

    private static Map<String, String> parse(String resultLine) {
        Map<String, String> values = new HashMap<>();
        for (String token : resultLine.substring("result ".length()).split(" ")) {
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
        String value = System.getProperty(ReliabilityContract.SCALE_PROPERTY, "1").trim();
        int n = Integer.parseInt(value);
        if (n < 1) {
            throw new IllegalArgumentException(ReliabilityContract.SCALE_PROPERTY + " must be >= 1, got " + n);
        }
        return n;
    }

    /**
     * One process: opens the file with the default settings, starts {@code args[2]} threads, prints
     * {@code ready}, waits for {@code go}, then each thread makes {@code args[3]} successful
     * conditional increments. Prints one line, {@code result increments=… retries=… unavailable=…
     * other=…}, and the stack trace of the first unexpected exception, if any.
     */
    public static final class Child {
        /** Unexpected exceptions after which a thread gives up (it would otherwise loop forever). */
        static final int GIVE_UP_AFTER = 100;

        public static void main(String[] args) throws Exception {
            Path db = Path.of(args[0]);
            int threads = Integer.parseInt(args[2]);
            int perThread = Integer.parseInt(args[3]);
            AtomicLong increments = new AtomicLong();
            AtomicLong retries = new AtomicLong();
            AtomicLong unavailable = new AtomicLong();
            AtomicLong other = new AtomicLong();
            AtomicReference<Throwable> firstUnexpected = new AtomicReference<>();
            try (Storage storage = Sqlite.open(db)) {
                Store<String> s = Sqlite.strings(storage);
                s.get("shared", "counter").join();
                CountDownLatch go = new CountDownLatch(1);
                List<Thread> workers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    Thread worker = new Thread(() -> {
                        try {
                            go.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            firstUnexpected.compareAndSet(null, e);
                            other.incrementAndGet();
                            return;
                        }
                        int done = 0;
                        int failures = 0;
                        while (done < perThread && failures < GIVE_UP_AFTER) {
                            try {
                                Item<String> c = s.get("shared", "counter").join().orElseThrow();
                                String next = String.valueOf(Integer.parseInt(c.value()) + 1);
                                s.put(Item.of("shared", "counter", next), Condition.ifVersion(c.version())).join();
                                done++;
                                increments.incrementAndGet();
                            } catch (RuntimeException e) {
                                Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                                if (cause instanceof ConditionFailedException) {
                                    retries.incrementAndGet();
                                } else {
                                    failures++;
                                    (cause instanceof UnavailableException ? unavailable : other).incrementAndGet();
                                    firstUnexpected.compareAndSet(null, cause);
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
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                String command = in.readLine();
                if (!"go".equals(command)) {
                    throw new IllegalStateException("expected go from the parent, got " + command);
                }
                go.countDown();
                for (Thread worker : workers) {
                    worker.join();
                }
            }
            System.out.println("result increments=" + increments + " retries=" + retries + " unavailable=" + unavailable
                    + " other=" + other);
            Throwable t = firstUnexpected.get();
            if (t != null) {
                StringWriter trace = new StringWriter();
                t.printStackTrace(new PrintWriter(trace));
                System.out.println("first unexpected exception: " + trace);
            }
        }
    }
}
