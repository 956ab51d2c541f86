package dev.polystore.sqlite;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A child JVM running a {@code main} class of this module's tests with the test class path:
 * its standard output and error merged and read line by line, lines sent to its standard input,
 * killed with {@code destroyForcibly} (SIGKILL on Unix). A watchdog kills it after a generous
 * hang limit, so a hung child ends the test (at end of output) instead of hanging the build; it
 * is a hang guard, never a speed check.
 */
final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final OutputStream in;
    private final AtomicBoolean hung = new AtomicBoolean();
    private final CompletableFuture<Void> watchdog;

    private ChildJvm(Process process, Duration hangLimit) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = process.getOutputStream();
        this.watchdog = CompletableFuture.runAsync(() -> {
            hung.set(true);
            process.toHandle().destroyForcibly();
        }, CompletableFuture.delayedExecutor(hangLimit.toMillis(), TimeUnit.MILLISECONDS));
    }

    /** Starts {@code main.main(args)} in a new JVM with this JVM's test class path. */
    static ChildJvm start(Class<?> main, Duration hangLimit, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // Quick start-up: these children run for seconds, C1 is enough.
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", classPath(), main.getName()));
        command.addAll(List.of(args));
        return new ChildJvm(new ProcessBuilder(command).redirectErrorStream(true).start(), hangLimit);
    }

    private static String classPath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    /** The next line of output, or null at its end (the child exited or was killed). */
    String readLine() throws IOException {
        return out.readLine();
    }

    /** Every remaining line, up to the end of the output. */
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

    /**
     * SIGKILL, then waits until the process is gone. Through the {@link ProcessHandle}:
     * {@code Process.destroyForcibly()} would also close our end of the child's output, and
     * what it printed before it died is still to be read.
     */
    void kill() throws InterruptedException {
        process.toHandle().destroyForcibly();
        process.waitFor();
    }

    /** Waits for the process to exit (the watchdog ends a hung one) and returns its exit code. */
    int waitFor() throws InterruptedException {
        return process.waitFor();
    }

    /** Whether the watchdog had to kill the child. */
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
