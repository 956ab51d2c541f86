package dev.polystore.benchmarks;

import dev.polystore.testkit.postgres.DedicatedPostgres;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Map;

/**
 * The PostgreSQL the benchmarks run against: the testkit's embedded server (binaries from Maven
 * Central), on a data directory of its own, with {@code fsync = on} (the embedded library turns
 * it off by default) and {@code synchronous_commit = on}: every acknowledged write of every
 * contender is flushed to disk, as on a production server. Database {@value #DATABASE}.
 */
public final class PostgresBenchServer implements AutoCloseable {
    public static final String DATABASE = "bench";

    private final Path dir;
    private final DedicatedPostgres server;

    private PostgresBenchServer(Path dir, DedicatedPostgres server) {
        this.dir = dir;
        this.server = server;
    }

    public static PostgresBenchServer start() {
        Path dir = Targets.tempDir("bench-postgres-");
        DedicatedPostgres server = DedicatedPostgres.start(dir.resolve("data"),
                Map.of("fsync", "on", "synchronous_commit", "on", "max_connections", "100"));
        try {
            server.createDatabase(DATABASE, "");
        } catch (SQLException e) {
            server.close();
            throw new IllegalStateException("could not create the benchmark database", e);
        }
        return new PostgresBenchServer(dir, server);
    }

    public String jdbcUrl() {
        return server.jdbcUrl(DATABASE);
    }

    public String user() {
        return server.user();
    }

    public DedicatedPostgres server() {
        return server;
    }

    @Override
    public void close() {
        server.close();
        Targets.deleteRecursively(dir);
    }
}
