package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.Store;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two JVMs write one database file at the same time: their writers contend for SQLite's write
 * lock, which the busy timeout and the writer's retry absorb, so no write fails; a shared counter
 * incremented with "if version" conditions from both processes loses no update.
 */
class TwoProcessTest {
    static final int ITEMS = 300;
    static final int INCREMENTS = 40;

    @TempDir
    Path dir;

    @Test
    void twoProcessesWriteTheSameFile() throws Exception {
        Path db = dir.resolve("shared.db");
        try (Storage storage = Sqlite.open(db)) {
            await(Sqlite.strings(storage).put(Item.of("shared", "counter", "0")));
        }
        List<Process> processes = new ArrayList<>();
        List<BufferedReader> outputs = new ArrayList<>();
        for (String name : new String[] {"one", "two"}) {
            Process p = new ProcessBuilder(javaBin(), "-cp", testClassPath(), Child.class.getName(), db.toString(), name)
                    .redirectErrorStream(true).start();
            processes.add(p);
            outputs.add(new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
        }
        try {
            // Both have opened the database before either writes, so their writes overlap.
            for (BufferedReader out : outputs) {
                String line;
                StringBuilder before = new StringBuilder();
                while ((line = out.readLine()) != null && !line.equals("ready")) {
                    before.append(line).append('\n');
                }
                assertEquals("ready", line, "child exited before it was ready:\n" + before);
            }
            for (Process p : processes) {
                p.getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8));
                p.getOutputStream().flush();
            }
            for (int i = 0; i < processes.size(); i++) {
                Process p = processes.get(i);
                String output = outputs.get(i).lines().collect(Collectors.joining("\n"));
                assertTrue(p.waitFor(3, TimeUnit.MINUTES), "child did not finish; output:\n" + output);
                assertEquals(0, p.exitValue(), "child failed; output:\n" + output);
                System.out.println("[two-process] " + output);
            }
        } finally {
            processes.forEach(Process::destroyForcibly);
        }
        try (Storage storage = Sqlite.open(db)) {
            Store<String> s = Sqlite.strings(storage);
            assertEquals(ITEMS, await(s.query("one", "")).size());
            assertEquals(ITEMS, await(s.query("two", "")).size());
            Item<String> counter = await(s.get("shared", "counter")).orElseThrow();
            assertEquals(String.valueOf(2 * INCREMENTS), counter.value(), "no increment was lost");
            assertEquals(1 + 2 * INCREMENTS, counter.version());
        }
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static String testClassPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    /** One writer process: many concurrent puts of its own items, interleaved with counter increments. */
    public static final class Child {
        private static int conflicts;

        public static void main(String[] args) throws IOException {
            Path db = Path.of(args[0]);
            String me = args[1];
            try (Storage storage = Sqlite.open(db, Map.of("busy_timeout_ms", "30000"))) {
                Store<String> s = Sqlite.strings(storage);
                System.out.println("ready");
                System.out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                if (!"go".equals(in.readLine())) {
                    throw new IllegalStateException("expected go from the parent");
                }
                List<CompletableFuture<?>> writes = new ArrayList<>();
                for (int i = 0; i < ITEMS; i++) {
                    writes.add(s.put(Item.of(me, "item" + i, me + i)));
                    if (i % (ITEMS / INCREMENTS) == 0 && i / (ITEMS / INCREMENTS) < INCREMENTS) {
                        increment(s);
                    }
                }
                writes.forEach(f -> f.join());
            }
            System.out.println(me + ": " + ITEMS + " puts and " + INCREMENTS + " increments done; " + conflicts
                    + " increments retried after a conflicting write");
        }

        private static void increment(Store<String> s) {
            while (true) {
                Optional<Item<String>> current = s.get("shared", "counter").join();
                Item<String> c = current.orElseThrow();
                String next = String.valueOf(Integer.parseInt(c.value()) + 1);
                try {
                    s.put(Item.of("shared", "counter", next), Condition.ifVersion(c.version())).join();
                    return;
                } catch (CompletionException e) {
                    if (!(e.getCause() instanceof ConditionFailedException)) {
                        throw e;
                    }
                    conflicts++;
                }
            }
        }
    }
}
