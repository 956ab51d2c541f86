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
 * its data in SQLite files under {@code dbPath} ({@code -dbPath}, not {@code -inMemory}),
 * telemetry off, on a free port probed on the loopback interface. For the streaming harness,
 * whose client JVM runs with a heap too small to hold the emulator and its data too.
 */
public final class DynamoDbLocalProcess implements AutoCloseable {
    private final Process process;
    private final String endpoint;

    private DynamoDbLocalProcess(Process process, int port) {
        this.process = process;
        this.endpoint = "http://127.0.0.1:" + port;
    }

    /** Starts it with {@code heap} (e.g. {@code "-Xmx1g"}) and waits until it accepts connections. */
    public static DynamoDbLocalProcess start(Path dbPath, String heap) {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, heap, "-cp", System.getProperty("java.class.path"),
                "com.amazonaws.services.dynamodbv2.local.main.ServerRunner",
                "-port", String.valueOf(port), "-dbPath", dbPath.toAbsolutePath().toString(), "-disableTelemetry"))
                .redirectErrorStream(true)
                .redirectOutput(dbPath.resolve("dynamodb-local.log").toFile());
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
                    throw new IllegalStateException("DynamoDB Local did not start (see " + dbPath.resolve("dynamodb-local.log") + ")");
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
