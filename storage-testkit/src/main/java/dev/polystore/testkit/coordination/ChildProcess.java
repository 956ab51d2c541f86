package dev.polystore.testkit.coordination;

import dev.polystore.StorageConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A child JVM running {@link CoordinationChild} with the test's class path and the storage
 * configuration of the test (every key and value of the {@link StorageConfig}), for the contracts'
 * two-process and kill -9 tests. Output and error are merged and read line by line; lines are sent
 * to its standard input; {@link #kill()} is SIGKILL on Unix. A watchdog kills a child that hangs
 * (a guard that ends the test, never a speed check).
 */
final class ChildProcess implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final OutputStream in;
    private final AtomicBoolean hung = new AtomicBoolean();
    private final CompletableFuture<Void> watchdog;

    private ChildProcess(Process process, Duration hangLimit) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = process.getOutputStream();
        this.watchdog = CompletableFuture.runAsync(() -> {
            hung.set(true);
            process.toHandle().destroyForcibly();
        }, CompletableFuture.delayedExecutor(hangLimit.toMillis(), TimeUnit.MILLISECONDS));
    }

    /**
     * Starts {@code CoordinationChild <mode> <config entries> -- <args>}.
     *
     * @param heap the child's {@code -Xmx}, e.g. {@code "256m"}
     */
    static ChildProcess start(StorageConfig config, String heap, Duration hangLimit, String mode, String... args)
            throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx" + heap,
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", classPath(), CoordinationChild.class.getName(), mode));
        for (Map.Entry<String, String> e : config.values().entrySet()) {
            command.add(e.getKey() + "=" + e.getValue());
        }
        command.add("--");
        command.addAll(List.of(args));
        return new ChildProcess(new ProcessBuilder(command).redirectErrorStream(true).start(), hangLimit);
    }

    private static String classPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    /** The next line, or null at the end of the output (the child exited or was killed). */
    String readLine() throws IOException {
        return out.readLine();
    }

    /** Reads lines until one starts with {@code prefix}; returns it, or null at the end (with what was read). */
    String awaitLine(String prefix, StringBuilder before) throws IOException {
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith(prefix)) {
                return line;
            }
            before.append(line).append('\n');
        }
        return null;
    }

    List<String> readToEnd() throws IOException {
        List<String> lines = new ArrayList<>();
        String line;
        while ((line = out.readLine()) != null) {
            lines.add(line);
        }
        return lines;
    }

    void send(String line) throws IOException {
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    /** SIGKILL, then waits until the process is gone (what it printed can still be read). */
    void kill() throws InterruptedException {
        process.toHandle().destroyForcibly();
        process.waitFor();
    }

    int waitFor() throws InterruptedException {
        return process.waitFor();
    }

    boolean hung() {
        return hung.get();
    }

    @Override
    public void close() throws IOException {
        watchdog.cancel(false);
        process.destroyForcibly();
        out.close();
        in.close();
    }
}
