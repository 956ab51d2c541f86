package dev.polystore.testkit.redis;

import dev.polystore.testkit.net.Ports;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} process started by the test itself, on loopback and a free port,
 * from the binary that the {@code com.github.codemonstur:embedded-redis} jar carries (Redis 6.2
 * for Linux and macOS; the jar must be on the test class path) or from the file named by the
 * system property {@value #BINARY_PROPERTY}. Nothing is installed; no Docker is needed.
 *
 * <p>Each process has its own working directory (for the AOF and RDB files) and keeps its port
 * across {@link #kill()} and {@link #start()}, so reliability tests can crash it with
 * {@code SIGKILL} and restart it on the same data. Defaults: no RDB snapshots, AOF off,
 * {@code protected-mode no}, bound to 127.0.0.1; {@link Builder#set} adds any
 * {@code redis.conf} directive.
 *
 * <p>Thread-safe for {@link #start()}, {@link #kill()}, {@link #stop()} and {@link #close()}.
 */
public final class RedisProcess implements RedisServer, AutoCloseable {
    /** System property naming a {@code redis-server} binary to use instead of the embedded-redis jar's. */
    public static final String BINARY_PROPERTY = "polystore.redis.server";
    /** How long {@link #start()} waits for the server to answer PING. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private static Path extracted;

    private final String host = InetAddress.getLoopbackAddress().getHostAddress();
    private final int port;
    private final Path dir;
    private final Map<String, List<String>> directives;
    private Process process;

    private RedisProcess(int port, Path dir, Map<String, List<String>> directives) {
        this.port = port;
        this.dir = dir;
        this.directives = directives;
    }

    /** A builder: {@code RedisProcess.builder().set("appendonly", "yes").start()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Starts a default server (no persistence) on a free port. */
    public static RedisProcess startDefault() {
        return builder().start();
    }

    /** Builds a {@link RedisProcess}. */
    public static final class Builder {
        private final Map<String, List<String>> directives = new LinkedHashMap<>();
        private Path dir;
        private int port;

        private Builder() {
            set("save", "");
            set("appendonly", "no");
            set("protected-mode", "no");
        }

        /** A {@code redis.conf} directive, e.g. {@code set("appendfsync", "always")}; replaces an earlier one. */
        public Builder set(String directive, String... values) {
            directives.put(directive, List.of(values));
            return this;
        }

        /** The working directory (AOF, RDB, cluster files); a fresh temporary one if not set. */
        public Builder dir(Path dir) {
            this.dir = dir;
            return this;
        }

        /** The port; a free one if not set. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Starts the server and waits until it answers PING. */
        public RedisProcess start() {
            try {
                Path d = dir != null ? dir : Files.createTempDirectory("polystore-redis-");
                RedisProcess p = new RedisProcess(port > 0 ? port : freePort(), d, new LinkedHashMap<>(directives));
                p.start();
                return p;
            } catch (IOException e) {
                throw new UncheckedIOException("could not prepare a redis-server directory", e);
            }
        }
    }

    @Override
    public String host() {
        return host;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public RedisServerExtension.Mode mode() {
        return RedisServerExtension.Mode.EMBEDDED;
    }

    /** The working directory (holds {@code appendonly.aof} when AOF is on). */
    public Path dir() {
        return dir;
    }

    /** The process id while running, else -1. */
    public synchronized long pid() {
        return process != null && process.isAlive() ? process.pid() : -1;
    }

    /** Whether the process is running. */
    public synchronized boolean running() {
        return process != null && process.isAlive();
    }

    /** (Re)starts the process on the same port and directory and waits until it answers PING. */
    public synchronized RedisProcess start() {
        if (running()) {
            return this;
        }
        List<String> command = new ArrayList<>();
        command.add(binary().toString());
        command.add("--port");
        command.add(String.valueOf(port));
        command.add("--bind");
        command.add(host);
        command.add("--dir");
        command.add(dir.toString());
        for (Map.Entry<String, List<String>> d : directives.entrySet()) {
            command.add("--" + d.getKey());
            if (d.getValue().isEmpty()) {
                command.add("");
            }
            command.addAll(d.getValue());
        }
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("redis.log").toFile());
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + command.get(0), e);
        }
        awaitPong();
        return this;
    }

    private void awaitPong() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server exited with " + process.exitValue() + " on port " + port
                        + "; its log:\n" + log());
            }
            try {
                if ("PONG".equals(Resp.call(host, port, 1000, "PING"))) {
                    return;
                }
            } catch (Resp.ErrorReply e) {
                if (String.valueOf(e.getMessage()).startsWith("NOAUTH")) {
                    return; // listening, and wants a password
                }
                last = e; // LOADING the AOF
            } catch (RuntimeException e) {
                last = e; // not listening yet, or LOADING the AOF
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for redis-server", e);
            }
        }
        throw new IllegalStateException("redis-server on port " + port + " did not answer PING within " + START_TIMEOUT
                + " (last: " + last + "); its log:\n" + log(), last);
    }

    /** The server's log so far (for failure messages). */
    public String log() {
        try {
            String text = Files.readString(dir.resolve("redis.log"));
            return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Sends one command to the server (see {@link Resp#call}). */
    public Object call(String... args) {
        return Resp.call(host, port, 10_000, args);
    }

    /** Kills the process with {@code SIGKILL} (no shutdown, no final fsync) and waits until it is gone. */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("redis-server (pid " + process.pid() + ") survived SIGKILL for 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while killing redis-server", e);
        }
    }

    /** Stops the process gracefully ({@code SHUTDOWN NOSAVE}, then SIGTERM if it lingers). */
    public synchronized void stop() {
        if (process == null || !process.isAlive()) {
            return;
        }
        try {
            Resp.call(host, port, 2000, "SHUTDOWN", "NOSAVE");
        } catch (Resp.ErrorReply refused) {
            process.destroy(); // e.g. NOAUTH: SIGTERM instead
        } catch (RuntimeException expected) {
            // the connection closes as the server exits
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    kill();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
        }
    }

    /** Stops the process; the directory is left for inspection (it is under the temporary directory). */
    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "redis-server " + host + ":" + port + " (" + dir + ")";
    }

    // ------------------------------------------------------------------ the binary

    /** The {@code redis-server} binary: {@value #BINARY_PROPERTY}, else the embedded-redis jar's, extracted once. */
    public static synchronized Path binary() {
        String configured = System.getProperty(BINARY_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        if (extracted != null && Files.isExecutable(extracted)) {
            return extracted;
        }
        String resource = resourceName();
        // Through the class loader, not Class.getResourceAsStream: that one looks only inside the
        // testkit's own module when the testkit runs as a named module.
        try (InputStream in = RedisProcess.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no redis-server binary: add com.github.codemonstur:embedded-redis "
                        + "(test scope) to the test class path, or set -D" + BINARY_PROPERTY
                        + "=/path/to/redis-server (looked for the resource " + resource + ")");
            }
            Path dir = Files.createTempDirectory("polystore-redis-bin-");
            Path file = dir.resolve("redis-server");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (UnsupportedOperationException e) {
                if (!file.toFile().setExecutable(true)) {
                    throw new IOException("cannot make " + file + " executable", e);
                }
            }
            extracted = file;
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("could not extract the redis-server binary " + resource, e);
        }
    }

    private static String resourceName() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        boolean arm = arch.contains("aarch64") || arch.contains("arm64");
        if (os.contains("linux")) {
            return arm ? "redis-server-6.2.7-linux-arm64" : "redis-server-6.2.6-v5-linux-amd64";
        }
        if (os.contains("mac") || os.contains("darwin")) {
            return arm ? "redis-server-6.2.6-v5-darwin-arm64" : "redis-server-6.2.6-v5-darwin-amd64";
        }
        throw new IllegalStateException("no embedded redis-server for " + os + "/" + arch + ": set -D" + BINARY_PROPERTY);
    }

    /**
     * A free loopback port (probed; a race with another process is possible but rare), below the
     * kernel's ephemeral range, because a process keeps its port across {@link #kill()} and
     * {@link #start()}: see {@link Ports#restartable()}.
     */
    public static int freePort() {
        return Ports.restartable();
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return Objects.hash(port);
    }
}
