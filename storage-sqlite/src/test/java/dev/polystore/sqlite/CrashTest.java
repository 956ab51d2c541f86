package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Storage;
import dev.polystore.Store;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A writer process killed with SIGKILL in the middle of a stream of writes: every write whose
 * future had completed is in the file afterwards, and the file is intact. (This is the process
 * crash case; surviving power loss is what {@code synchronous = FULL} adds, and cannot be tested
 * here.)
 */
class CrashTest {
    static final int ACKS_BEFORE_KILL = 400;

    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedWriteSurvivesAKilledProcess() throws Exception {
        Path db = dir.resolve("crash.db");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath(), Child.class.getName(), db.toString())
                .redirectErrorStream(true).start();
        List<String> acked = new ArrayList<>();
        StringBuilder other = new StringBuilder();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while (acked.size() < ACKS_BEFORE_KILL && (line = out.readLine()) != null) {
                if (line.startsWith("ack ")) {
                    acked.add(line.substring(4));
                } else {
                    other.append(line).append('\n');
                }
            }
            assertEquals(ACKS_BEFORE_KILL, acked.size(), "the writer stopped early:\n" + other);
            child.destroyForcibly();
            assertTrue(child.waitFor(1, TimeUnit.MINUTES), "the killed process did not exit");
        } finally {
            child.destroyForcibly();
        }

        try (Connection c = Sqlite.raw(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("PRAGMA integrity_check")) {
            assertEquals("ok", rs.getString(1));
        }
        try (Storage storage = Sqlite.open(db)) {
            Store<String> s = Sqlite.strings(storage);
            List<Key> keys = acked.stream().map(sk -> Key.of("crash", sk)).toList();
            Map<Key, Item<String>> found = await(s.batchGet(keys));
            List<String> missing = acked.stream().filter(sk -> !found.containsKey(Key.of("crash", sk))).toList();
            assertEquals(List.of(), missing, "acknowledged writes lost by the crash");
        }
    }

    private static String classPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    /**
     * Writes 50 puts at a time, printing each key once its future has completed, until killed
     * (or, should the test JVM die first, until 20,000 puts).
     */
    public static final class Child {
        public static void main(String[] args) {
            PrintStream out = System.out;
            try (Storage storage = Sqlite.open(Path.of(args[0]))) {
                Store<String> s = Sqlite.strings(storage);
                for (int round = 0; round < 400; round++) {
                    List<CompletableFuture<?>> puts = new ArrayList<>();
                    for (int i = 0; i < 50; i++) {
                        String sk = "r" + round + "-" + i;
                        puts.add(s.put(Item.of("crash", sk, "v".repeat(200))).thenRun(() -> {
                            synchronized (out) {
                                out.println("ack " + sk);
                                out.flush();
                            }
                        }));
                    }
                    CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).join();
                }
            }
        }
    }
}
