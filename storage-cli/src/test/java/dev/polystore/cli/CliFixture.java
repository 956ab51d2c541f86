package dev.polystore.cli;

import dev.polystore.Storage;
import dev.polystore.StoreFactory;
import dev.polystore.cli.command.Polystore;
import dev.polystore.memory.MemoryBackend;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.StorageBackend;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import picocli.CommandLine;

/**
 * Runs the {@code polystore} command in this JVM. Config files whose name starts with
 * {@code memory} open one shared in-memory backend per file name (surviving the command's close,
 * as a server would); every other file is opened as the command opens it, from its TOML. A
 * wrapper may be put around the backends a file opens (fault injection).
 */
final class CliFixture {
    record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exit + "\nout: " + out + "\nerr: " + err;
        }
    }

    private final Map<String, MemoryBackend> memories = new ConcurrentHashMap<>();
    private final Map<String, UnaryOperator<StorageBackend>> wrappers = new ConcurrentHashMap<>();

    void wrap(Path config, UnaryOperator<StorageBackend> wrapper) {
        wrappers.put(config.getFileName().toString(), wrapper);
    }

    void unwrap(Path config) {
        wrappers.remove(config.getFileName().toString());
    }

    Storage open(Path config) {
        String name = config.getFileName().toString();
        UnaryOperator<StorageBackend> w = wrappers.getOrDefault(name, UnaryOperator.identity());
        if (name.startsWith("memory")) {
            MemoryBackend shared = memories.computeIfAbsent(name, n -> new MemoryBackend(Clock.systemUTC()));
            StorageBackend kept = new ForwardingStorageBackend(shared) {
                @Override
                public void close() {
                    // the shared backend outlives each command, like a server
                }
            };
            return StoreFactory.open(w.apply(kept), Clock.systemUTC());
        }
        return StoreFactory.open(dev.polystore.StorageConfig.fromToml(config), w);
    }

    Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Polystore.commandLine(new Polystore(this::open));
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    static Path memoryConfig(Path dir, String name) {
        return write(dir.resolve("memory-" + name + ".toml"), "[storage]\nbackend = \"memory\"\n");
    }

    static Path sqliteConfig(Path dir, String name) {
        return write(dir.resolve(name + ".toml"), "[storage]\nbackend = \"sqlite\"\n\n[storage.sqlite]\npath = \""
                + dir.resolve(name + ".db").toString().replace("\\", "/") + "\"\n");
    }

    static Path dynamoConfig(Path dir, String name, java.net.URI endpoint, String prefix) {
        return write(dir.resolve(name + ".toml"), "[storage]\nbackend = \"dynamodb\"\n\n[storage.dynamodb]\n"
                + "table_prefix = \"" + prefix + "\"\nregion = \"us-east-1\"\nendpoint = \"" + endpoint + "\"\n"
                + "create_tables = true\ncredentials = \"local\"\n"
                // generous: DynamoDB Local on a loaded build machine answers slowly
                + "api_call_timeout_ms = 120000\napi_call_attempt_timeout_ms = 30000\n"
                + "bulk_call_timeout_ms = 120000\nbulk_call_attempt_timeout_ms = 30000\n");
    }

    static Path postgresConfig(Path dir, String name, dev.polystore.testkit.postgres.PostgresServer server, String prefix) {
        try {
            server.createDatabase("polystore_cli", "");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("could not create the test database", e);
        }
        return write(dir.resolve(name + ".toml"), "[storage]\nbackend = \"postgres\"\n\n[storage.postgres]\n"
                + "url = \"" + server.jdbcUrl("polystore_cli") + "\"\nuser = \"" + server.user() + "\"\n"
                + (server.password().isEmpty() ? "" : "password = \"" + server.password() + "\"\n")
                + "table_prefix = \"" + prefix + "\"\ncreate_tables = true\npool_size = 4\n");
    }

    static Path redisConfig(Path dir, String name, String uri, String prefix) {
        return write(dir.resolve(name + ".toml"), "[storage]\nbackend = \"redis\"\n\n[storage.redis]\n"
                + "uri = \"" + uri + "\"\nkey_prefix = \"" + prefix + "\"\n");
    }

    static Path write(Path file, String text) {
        try {
            Files.writeString(file, text);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
