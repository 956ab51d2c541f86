package dev.polystore.postgres;

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
 * A child JVM running a {@code main} class of this module's tests with the test class path, its
 * output read line by line and lines sent to its input. A watchdog kills it after a generous hang
 * limit (a hang guard, never a speed check).
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

    static ChildJvm start(Class<?> main, Duration hangLimit, String... args) throws IOException {
        String cp = System.getProperty("surefire.test.class.path");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        return new ChildJvm(new ProcessBuilder(command).redirectErrorStream(true).start(), hangLimit);
    }

    String readLine() throws IOException {
        return out.readLine();
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
