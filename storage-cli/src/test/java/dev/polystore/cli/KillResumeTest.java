package dev.polystore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.cli.command.Polystore;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code kill -9} of the copy process: the {@code polystore} command runs in a separate JVM
 * (its main class, on the test class path), copying SQLite to SQLite and SQLite to PostgreSQL (the
 * embedded server outlives the killed process, as a real one would); the test kills it with
 * SIGKILL after a random number of acknowledged pages (counted from its progress lines, one per
 * page), runs the same command again, and so on; then lets it finish. {@code verify} must report
 * 0 differences and the last summary must count every item exactly once.
 *
 * <p>Rounds: 10 × {@code polystore.reliability.scale} (the {@code reliability-long} profile: 100), or
 * {@code -Dpolystore.kill.rounds=N}; seed: {@code -Dpolystore.kill.seed} (printed).
 */
class KillResumeTest {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ROUNDS = Integer.getInteger("polystore.kill.rounds",
            10 * Integer.getInteger("polystore.reliability.scale", 1));
    private static final long SEED = Long.getLong("polystore.kill.seed", System.nanoTime());
    private static final int PAGE = 50;
    private static final int SEGMENTS = 4;

    @TempDir
    Path dir;

    private final CliFixture cli = new CliFixture();

    @ParameterizedTest(name = "SQLite -> {0}")
    @ValueSource(strings = {"sqlite", "postgres"})
    @DisplayName("kill -9 of the copy process at random points, then resume: verify reports 0 differences")
    void killAndResume(String targetEngine) throws Exception {
        Random random = new Random(SEED);
        Path a = CliFixture.sqliteConfig(dir, "a");
        Path b = targetEngine.equals("sqlite") ? CliFixture.sqliteConfig(dir, "b")
                : CliFixture.postgresConfig(dir, "b", POSTGRES.server(),
                        "k" + Long.toHexString(random.nextLong() & 0xffffffL) + "_");
        int perStore = ROUNDS * 6 * PAGE / 2;
        try (Storage s = cli.open(a)) {
            for (String store : List.of("users", "orders")) {
                Store<byte[]> st = s.store(store, Codec.bytes());
                List<CompletableFuture<?>> puts = new ArrayList<>();
                for (int i = 0; i < perStore; i++) {
                    byte[] p = new byte[20 + random.nextInt(300)];
                    random.nextBytes(p);
                    puts.add(st.put(Item.of(Key.of("p" + (i % 97), String.format("s%07d", i)), p)));
                }
                CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).join();
            }
        }
        long items = 2L * perStore;
        List<String> command = command(a, b);
        long started = System.nanoTime();
        List<Integer> killedAfter = new ArrayList<>();
        int finishedEarly = 0;
        for (int round = 0; round < ROUNDS; round++) {
            int pages = 1 + random.nextInt(8);
            Process p = start(command, round);
            int seen = 0;
            try (BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; seen < pages && (line = err.readLine()) != null; ) {
                    if (line.startsWith("polystore: users: ") || line.startsWith("polystore: orders: ")) {
                        seen++;
                    }
                }
                if (seen == pages) {
                    // let it run on for 0-40 ms, so that the kill lands anywhere in the next page's read, write
                    // or checkpoint (returns early if it ends)
                    p.waitFor(random.nextInt(41), TimeUnit.MILLISECONDS);
                    p.destroyForcibly(); // SIGKILL on Unix: no shutdown hook, no finally block runs
                    killedAfter.add(pages);
                } else {
                    finishedEarly++;
                }
                assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the copy process did not end");
            }
        }
        Process last = start(command, ROUNDS);
        last.getErrorStream().transferTo(java.io.OutputStream.nullOutputStream());
        assertTrue(last.waitFor(120, TimeUnit.SECONDS), "the final copy did not end");
        String out = Files.readString(dir.resolve("out-" + ROUNDS + ".txt"));
        assertEquals(Polystore.OK, last.exitValue(), "final copy: " + out);
        JsonNode total = lastJson(out).path("total");
        assertEquals(items, total.path("read").asLong(), "every item counted once over the resumed runs: " + out);
        assertEquals(items, total.path("written").asLong() + total.path("kept").asLong(), out);
        CliFixture.Result verify = cli.run("verify", "--from", a.toString(), "--to", b.toString(), "--json");
        assertEquals(Polystore.OK, verify.exit(), verify.toString());
        assertEquals(0, JSON.readTree(verify.out().trim()).path("differences").asLong(), verify.out());
        System.out.printf("[reliability] cli | kill -9 of the copy process | SQLite -> %s seed=%d rounds=%d killed=%d "
                + "(after %s acknowledged pages) finished before the kill=%d items=%d (2 stores, %d segments, "
                + "pages of %d) written again after a kill (kept)=%d verify differences=0 time=%d ms%n", targetEngine, SEED, ROUNDS,
                killedAfter.size(), killedAfter, finishedEarly, items, SEGMENTS, PAGE, total.path("kept").asLong(),
                (System.nanoTime() - started) / 1_000_000);
        assertTrue(killedAfter.size() >= Math.min(ROUNDS, 10) - finishedEarly, "kills landed: " + killedAfter);
        assertTrue(killedAfter.size() >= ROUNDS / 2, "most rounds must be killed mid-copy, not finish: " + killedAfter);
    }

    private List<String> command(Path a, Path b) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> c = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", cp, Polystore.class.getName(), "copy",
                "--from", a.toString(), "--to", b.toString(), "--segments", String.valueOf(SEGMENTS), "--page-size",
                String.valueOf(PAGE), "--rate", "3000", "--progress", "lines", "--progress-interval", "0"));
        return c;
    }

    private Process start(List<String> command, int round) throws IOException {
        List<String> c = new ArrayList<>(command);
        if (round == ROUNDS) {
            c.add("--json"); // the summary as JSON (and no progress lines: nothing reads them)
        }
        return new ProcessBuilder(c).redirectOutput(dir.resolve("out-" + round + ".txt").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    }

    private static JsonNode lastJson(String out) throws IOException {
        String[] lines = out.trim().split("\n");
        return JSON.readTree(lines[lines.length - 1]);
    }
}
