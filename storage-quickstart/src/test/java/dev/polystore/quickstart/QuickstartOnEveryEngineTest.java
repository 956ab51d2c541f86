package dev.polystore.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.testkit.engines.EmbeddedEngines;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What the README's engine command runs ({@code -Dengine=<name>}), for every engine
 * {@link EmbeddedEngines} can start, so every full build checks it: {@link QuickstartOn} in a
 * JVM of its own, as the command starts it. Each run must end by itself (no thread of an engine
 * left keeping the JVM alive), succeed, and print what the SQLite run prints.
 */
class QuickstartOnEveryEngineTest {
    /** A hang guard for one run on a loaded machine, never a speed check. */
    private static final long HANG_LIMIT_S = 300;

    @Test
    @DisplayName("the unchanged quickstart runs on every embedded engine, ends by itself and prints the same results")
    void everyEngine() throws Exception {
        Map<String, List<String>> results = new TreeMap<>();
        for (String engine : EmbeddedEngines.names()) {
            List<String> output = run(engine);
            String all = String.join("\n", output);
            assertTrue(output.stream().anyMatch(l -> l.startsWith("backend: " + engine + ",")),
                    "the quickstart did not run on " + engine + ":\n" + all);
            assertTrue(output.stream().anyMatch(l -> l.equals("done") || l.startsWith("done: ")), engine + ":\n" + all);
            results.put(engine, results(output));
        }
        assertTrue(results.keySet().containsAll(List.of("dynamodb", "memory", "postgres", "redis", "sqlite")), "engines: " + results.keySet());
        List<String> reference = results.get("sqlite");
        assertTrue(reference.size() > 15, "too little output to compare: " + reference);
        results.forEach((engine, lines) -> assertEquals(reference, lines,
                "the quickstart on " + engine + " printed other results than on sqlite"));
    }

    /** Runs QuickstartOn in a new JVM with this test's class path, from the module folder; returns its output. */
    private static List<String> run(String engine) throws IOException, InterruptedException {
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Xmx512m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", classPath, QuickstartOn.class.getName(), engine, "polystore.toml")
                .directory(Path.of("").toAbsolutePath().toFile())
                .redirectErrorStream(true)
                .start();
        process.getOutputStream().close();
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        boolean ended = process.waitFor(HANG_LIMIT_S, TimeUnit.SECONDS);
        if (!ended) {
            process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor();
        }
        String text = output.join();
        assertTrue(ended, "QuickstartOn " + engine + " did not end within " + HANG_LIMIT_S + " s (a thread keeps the JVM "
                + "alive, or it hangs):\n" + text);
        assertEquals(0, process.exitValue(), "QuickstartOn " + engine + " failed:\n" + text);
        return Arrays.asList(text.split("\\R"));
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The lines that show results, from the first stored item to the last link: without the
     * lines that name the engine (banner, capabilities, data location). Search hits are
     * compared as sets, since a native index may rank them differently.
     */
    private static List<String> results(List<String> output) {
        List<String> out = new ArrayList<>();
        boolean started = false;
        for (String line : output) {
            if (line.startsWith("stored ")) {
                started = true;
            }
            if (!started || line.equals("done") || line.startsWith("done: ")) {
                continue;
            }
            if (line.startsWith("search ")) {
                int arrow = line.indexOf(" -> [");
                String hits = line.substring(arrow + 5, line.length() - 1);
                line = line.substring(0, arrow) + " -> " + Arrays.stream(hits.split(", ")).sorted().collect(Collectors.toList());
            }
            out.add(line);
        }
        return out;
    }
}
