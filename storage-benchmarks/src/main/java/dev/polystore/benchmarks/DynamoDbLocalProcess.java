package dev.polystore.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * DynamoDB Local in a separate JVM (this JVM's class path, so the shaded benchmarks jar serves),
 * telemetry off, on a free port probed on the loopback interface, its log in {@code dir}. Its
 * data lives either in SQLite files under {@code dir} ({@code -dbPath}) or in an in-memory SQLite
 * database ({@code -inMemory}: native memory of that process, not its Java heap). For the
 * streaming harness, whose client JVM runs with a heap too small to hold the emulator too.
 */
public final class DynamoDbLocalProcess implements AutoCloseable {
    private final Process process;
    private final String endpoint;

    private DynamoDbLocalProcess(Process process, int port) {
        this.process = process;
        this.endpoint = "http://127.0.0.1:" + port;
    }

    /** Starts it with {@code heap} (e.g. {@code "-Xmx1g"}) and waits until it accepts connections. */
    public static DynamoDbLocalProcess start(Path dir, String heap, boolean inMemory) {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new java.util.ArrayList<>(List.of(java, heap, "-cp", System.getProperty("java.class.path"),
                "com.amazonaws.services.dynamodbv2.local.main.ServerRunner",
                "-port", String.valueOf(port), "-disableTelemetry"));
        if (inMemory) {
            command.add("-inMemory");
        } else {
            command.addAll(List.of("-dbPath", dir.toAbsolutePath().toString()));
        }
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("dynamodb-local.log").toFile());
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("starting DynamoDB Local failed", e);
        }
        DynamoDbLocalProcess local = new DynamoDbLocalProcess(process, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return local;
            } catch (IOException notYet) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    local.close();
                    throw new IllegalStateException("DynamoDB Local did not start (see " + dir.resolve("dynamodb-local.log") + ")");
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    local.close();
                    throw new IllegalStateException("interrupted while DynamoDB Local started", e);
                }
            }
        }
    }

    public String endpoint() {
        return endpoint;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
