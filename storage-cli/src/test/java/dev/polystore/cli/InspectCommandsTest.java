package dev.polystore.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polystore.Codec;
import dev.polystore.Health;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.cli.command.Polystore;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code polystore health}, {@code stats}, {@code get} and {@code query} on SQLite and PostgreSQL
 * (embedded): what they print (text and {@code --json}), their exit codes, and that looking never
 * creates a store.
 */
class InspectCommandsTest {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final CliFixture cli = new CliFixture();

    private Path config(String engine) {
        String run = UUID.randomUUID().toString().substring(0, 6);
        return switch (engine) {
            case "sqlite" -> CliFixture.sqliteConfig(dir, "s" + run);
            case "postgres" -> CliFixture.postgresConfig(dir, "p" + run, POSTGRES.server(), "i" + run + "_");
            default -> throw new IllegalArgumentException(engine);
        };
    }

    /** users: partition u1 with sort keys a1, a2, a3, b1 (a2 written twice: version 2), u2/x with an expiry; orders: 3 items. */
    private long[] writeData(Path config) {
        long bytes = 0;
        try (Storage s = cli.open(config)) {
            Store<byte[]> users = s.store("users", Codec.bytes());
            List<CompletableFuture<?>> puts = new ArrayList<>();
            for (String sk : List.of("a1", "a2", "a3", "b1")) {
                byte[] p = ("{\"sk\":\"" + sk + "\"}").getBytes(StandardCharsets.UTF_8);
                bytes += p.length;
                puts.add(users.put(Item.of(Key.of("u1", sk), p)));
            }
            CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).join();
            users.put(Item.of(Key.of("u1", "a2"), "{\"sk\":\"a2\"}".getBytes(StandardCharsets.UTF_8))).join();
            Instant later = Instant.now().plus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
            users.put(Item.of(Key.of("u2", "x"), new byte[] {1, 2, 3}).withExpiry(later)).join();
            bytes += 3;
            Store<byte[]> orders = s.store("orders", Codec.bytes());
            for (int i = 0; i < 3; i++) {
                orders.put(Item.of(Key.of("o" + i, "line"), new byte[10])).join();
            }
        }
        return new long[] {5, bytes};
    }

    private static JsonNode json(String out) {
        try {
            return JSON.readTree(out.trim());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + out, e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgres"})
    @DisplayName("health: healthy, capabilities and durability details; --json; exit 0")
    void health(String engine) {
        Path c = config(engine);
        CliFixture.Result text = cli.run("health", "--config", c.toString());
        assertEquals(Polystore.OK, text.exit(), text.toString());
        assertTrue(text.out().contains("backend " + engine + ": healthy"), text.out());
        assertTrue(text.out().contains("SCAN"), text.out());
        CliFixture.Result j = cli.run("health", "-c", c.toString(), "--json");
        assertEquals(Polystore.OK, j.exit(), j.toString());
        JsonNode root = json(j.out());
        assertTrue(root.path("healthy").asBoolean(), j.out());
        assertEquals(engine, root.path("backend").asText());
        String durability = engine.equals("sqlite") ? "synchronous" : "synchronous_commit";
        assertTrue(root.path("details").has(durability), "durability setting reported: " + j.out());
        assertTrue(root.path("capabilities").toString().contains("IMPORT"), j.out());
    }

    @Test
    @DisplayName("health of an unhealthy backend exits 4 and says UNHEALTHY")
    void unhealthy() {
        Path c = config("sqlite");
        cli.wrap(c, inner -> new ForwardingStorageBackend(inner) {
            @Override
            public CompletableFuture<Health> health() {
                return CompletableFuture.completedFuture(new Health(false, "sqlite", Duration.ZERO,
                        Map.of("error", "injected: the disk is gone")));
            }
        });
        CliFixture.Result r = cli.run("health", "--config", c.toString());
        assertEquals(Polystore.ENGINE_FAILED, r.exit(), r.toString());
        assertTrue(r.out().contains("UNHEALTHY") && r.out().contains("injected"), r.out());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgres"})
    @DisplayName("stats counts every live item and its bytes per store by a full scan in segments")
    void stats(String engine) {
        Path c = config(engine);
        long[] expected = writeData(c);
        CliFixture.Result r = cli.run("stats", "--config", c.toString(), "--segments", "3", "--page-size", "2", "--json");
        assertEquals(Polystore.OK, r.exit(), r.toString());
        JsonNode root = json(r.out());
        assertTrue(root.path("fullScan").asBoolean(), r.out());
        JsonNode users = null;
        for (JsonNode s : root.path("stores")) {
            if (s.path("store").asText().equals("users")) {
                users = s;
            }
        }
        assertEquals(expected[0], users.path("items").asLong(), r.out());
        assertEquals(expected[1], users.path("payloadBytes").asLong(), r.out());
        assertEquals(expected[0] + 3, root.path("total").path("items").asLong(), r.out());
        CliFixture.Result text = cli.run("stats", "--config", c.toString(), "--stores", "orders");
        assertEquals(Polystore.OK, text.exit(), text.toString());
        assertTrue(text.out().contains("store orders: 3 items, 30 payload bytes"), text.out());
        assertTrue(text.out().contains("read in full"), text.out());
        CliFixture.Result help = cli.run("stats", "--help");
        assertTrue(help.out().contains("READS THE WHOLE STORE"), help.out());
        CliFixture.Result missing = cli.run("stats", "--config", c.toString(), "--stores", "nosuch");
        assertEquals(Polystore.BAD_INPUT, missing.exit(), missing.toString());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgres"})
    @DisplayName("get prints one item in the export form (version, expiry, base64 payload); exit 1 when absent, 3 for bad input")
    void get(String engine) {
        Path c = config(engine);
        writeData(c);
        CliFixture.Result r = cli.run("get", "--config", c.toString(), "--store", "users", "--pk", "u1", "--sk", "a2");
        assertEquals(Polystore.OK, r.exit(), r.toString());
        JsonNode item = json(r.out());
        assertEquals("users", item.path("store").asText());
        assertEquals("u1", item.path("pk").asText());
        assertEquals("a2", item.path("sk").asText());
        assertEquals(2, item.path("version").asLong());
        assertArrayEquals("{\"sk\":\"a2\"}".getBytes(StandardCharsets.UTF_8),
                Base64.getDecoder().decode(item.path("payload").asText()));
        CliFixture.Result exp = cli.run("get", "-c", c.toString(), "-s", "users", "--pk", "u2", "--sk", "x", "--json",
                "--decode");
        assertEquals(Polystore.OK, exp.exit(), exp.toString());
        assertTrue(json(exp.out()).hasNonNull("expiresAt"), exp.out());
        assertTrue(json(exp.out()).has("value"), exp.out());
        CliFixture.Result none = cli.run("get", "-c", c.toString(), "-s", "users", "--pk", "u1", "--sk", "zz");
        assertEquals(Polystore.DIFFERENCES, none.exit(), none.toString());
        assertTrue(none.out().isBlank(), none.out());
        CliFixture.Result noneJson = cli.run("get", "-c", c.toString(), "-s", "users", "--pk", "u1", "--sk", "zz", "--json");
        assertFalse(json(noneJson.out()).path("found").asBoolean(true), noneJson.out());
        CliFixture.Result badKey = cli.run("get", "-c", c.toString(), "-s", "users", "--pk", "", "--sk", "a1");
        assertEquals(Polystore.BAD_INPUT, badKey.exit(), badKey.toString());
        CliFixture.Result noStore = cli.run("get", "-c", c.toString(), "-s", "nosuch", "--pk", "u1", "--sk", "a1");
        assertEquals(Polystore.BAD_INPUT, noStore.exit(), noStore.toString());
        assertTrue(noStore.err().contains("'nosuch' does not exist"), noStore.err());
        CliFixture.Result stores = cli.run("stats", "-c", c.toString(), "--json");
        assertEquals(2, json(stores.out()).path("stores").size(), "looking created no store: " + stores.out());
        assertEquals(Polystore.USAGE, cli.run("get", "-c", c.toString(), "-s", "users", "--pk", "u1").exit());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgres"})
    @DisplayName("query: a partition in sort-key order, prefix and range, paged with a cursor, --all, --descending")
    void query(String engine) {
        Path c = config(engine);
        writeData(c);
        String cfg = c.toString();
        assertEquals(List.of("a1", "a2", "a3", "b1"), sks(cli.run("query", "-c", cfg, "-s", "users", "--pk", "u1", "--json")));
        assertEquals(List.of("a1", "a2", "a3"), sks(cli.run("query", "-c", cfg, "-s", "users", "--pk", "u1", "--prefix", "a",
                "--json")));
        assertEquals(List.of("a2", "a3"), sks(cli.run("query", "-c", cfg, "-s", "users", "--pk", "u1", "--from", "a2",
                "--to", "a3", "--json")));
        assertEquals(List.of("a3", "b1"), sks(cli.run("query", "-c", cfg, "-s", "users", "--pk", "u1", "--from", "a3",
                "--json")));
        assertEquals(List.of("b1", "a3", "a2", "a1"), sks(cli.run("query", "-c", cfg, "-s", "users", "--pk", "u1",
                "--descending", "--json")));
        CliFixture.Result first = cli.run("query", "-c", cfg, "-s", "users", "--pk", "u1", "--limit", "3", "--json");
        assertEquals(List.of("a1", "a2", "a3"), sks(first));
        String cursor = json(first.out()).path("cursor").asText();
        assertFalse(cursor.isEmpty(), first.out());
        CliFixture.Result rest = cli.run("query", "-c", cfg, "-s", "users", "--pk", "u1", "--limit", "3", "--after", cursor,
                "--json");
        assertEquals(List.of("b1"), sks(rest));
        assertTrue(json(rest.out()).path("cursor").isNull(), rest.out());
        assertEquals(List.of("a1", "a2", "a3", "b1"), sks(cli.run("query", "-c", cfg, "-s", "users", "--pk", "u1",
                "--limit", "1", "--all", "--json")));
        CliFixture.Result text = cli.run("query", "-c", cfg, "-s", "users", "--pk", "u1", "--limit", "2");
        assertEquals(Polystore.OK, text.exit(), text.toString());
        assertEquals(2, text.out().trim().split("\n").length, text.out());
        assertEquals("a1", json(text.out().trim().split("\n")[0]).path("sk").asText());
        assertTrue(text.err().contains("more follow: --after "), text.err());
        assertEquals(List.of(), sks(cli.run("query", "-c", cfg, "-s", "users", "--pk", "nobody", "--json")));
        CliFixture.Result both = cli.run("query", "-c", cfg, "-s", "users", "--pk", "u1", "--prefix", "a", "--from", "a");
        assertEquals(Polystore.BAD_INPUT, both.exit(), both.toString());
        CliFixture.Result badCursor = cli.run("query", "-c", cfg, "-s", "users", "--pk", "u1", "--after", "garbage");
        assertEquals(Polystore.BAD_INPUT, badCursor.exit(), badCursor.toString());
        CliFixture.Result badLimit = cli.run("query", "-c", cfg, "-s", "users", "--pk", "u1", "--limit", "0");
        assertEquals(Polystore.BAD_INPUT, badLimit.exit(), badLimit.toString());
    }

    private static List<String> sks(CliFixture.Result r) {
        assertEquals(Polystore.OK, r.exit(), r.toString());
        JsonNode root = json(r.out());
        assertEquals(root.path("items").size(), root.path("count").asInt(), r.out());
        List<String> out = new ArrayList<>();
        root.path("items").forEach(i -> out.add(i.path("sk").asText()));
        return out;
    }

    @Test
    @DisplayName("health, stats, get and query have --help with their exit codes")
    void help() {
        for (String c : List.of("health", "stats", "get", "query")) {
            CliFixture.Result r = cli.run(c, "--help");
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.out().contains("Usage: polystore " + c), r.out());
            assertTrue(r.out().contains("Exit codes:"), r.out());
            assertTrue(r.out().contains("--json"), r.out());
        }
    }
}
