package dev.polystore.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Limits;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.UnavailableException;
import dev.polystore.cli.command.Polystore;
import dev.polystore.migration.Migration;
import dev.polystore.migration.StoredItem;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.ScanPage;
import dev.polystore.testkit.dynamodb.DynamoDbLocalExtension;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import dev.polystore.testkit.redis.RedisServerExtension;
import dev.polystore.testkit.reliability.ExoticKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code polystore} command end to end between memory, SQLite, DynamoDB Local, PostgreSQL
 * (embedded) and Redis (the embedded-redis binary): copy,
 * verify, export and import with exotic keys, a 400 KB item, versions above 1 and expiry; resume
 * after a failure; bad input as exit code 3 with nothing written.
 */
class PolystoreCommandTest {
    @RegisterExtension
    static final DynamoDbLocalExtension DYNAMODB = new DynamoDbLocalExtension();
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final CliFixture cli = new CliFixture();
    private String run;

    @BeforeEach
    void setUp() {
        run = UUID.randomUUID().toString().substring(0, 8);
    }

    private Path dynamo(String name) {
        return CliFixture.dynamoConfig(dir, name, DYNAMODB.endpoint(), "cli" + run + name + "_");
    }

    private Path postgres(String name) {
        return CliFixture.postgresConfig(dir, name, POSTGRES.server(), "c" + run.substring(0, 6) + name + "_");
    }

    private Path redis(String name) {
        return CliFixture.redisConfig(dir, name, REDIS.uri(), "cli" + run + name + ":");
    }

    /** Writes the data set into {@code store} on the storage {@code config} opens; returns key → item as stored. */
    private Map<Key, StoredItem> writeData(Path config, String store) {
        Map<Key, StoredItem> written = new LinkedHashMap<>();
        Random random = new Random(7);
        try (Storage s = cli.open(config)) {
            Store<byte[]> st = s.store(store, Codec.bytes());
            List<CompletableFuture<Item<byte[]>>> puts = new ArrayList<>();
            for (String pk : ExoticKeys.partitions("p" + run)) {
                for (String sk : ExoticKeys.sortKeys()) {
                    byte[] p = new byte[1 + random.nextInt(40)];
                    random.nextBytes(p);
                    puts.add(st.put(Item.of(Key.of(pk, sk), p)));
                }
            }
            byte[] big = new byte[Limits.MAX_ITEM_BYTES - Limits.ITEM_OVERHEAD_BYTES - 64];
            random.nextBytes(big);
            puts.add(st.put(Item.of(Key.of("big", "one"), big)));
            Instant later = Instant.now().plusSeconds(86_400).truncatedTo(ChronoUnit.SECONDS);
            puts.add(st.put(Item.of(Key.of("exp", "later"), new byte[] {1}).withExpiry(later)));
            CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).join();
            // a few items at versions above 1
            for (int i = 0; i < 3; i++) {
                st.put(Item.of(Key.of("big", "one"), big)).join();
            }
            Migration m = Migration.of(s);
            for (var f : puts) {
                Key k = f.join().key();
                written.put(k, m.get(store, k).join().orElseThrow());
            }
        }
        return written;
    }

    private void assertHolds(Path config, String store, Map<Key, StoredItem> expected) {
        try (Storage s = cli.open(config)) {
            Migration m = Migration.of(s);
            for (StoredItem e : expected.values()) {
                StoredItem got = m.get(store, e.key()).join().orElseThrow(() -> new AssertionError("missing " + e));
                assertEquals(e.version(), got.version(), "version kept");
                assertEquals(e.expiresAt(), got.expiresAt(), "expiry kept");
                assertArrayEquals(e.payload(), got.payload(), "payload kept byte for byte");
            }
        }
    }

    private void copyAndVerify(Path from, Path to) {
        Map<Key, StoredItem> data = writeData(from, "users");
        assertEquals(4, data.get(Key.of("big", "one")).version());
        CliFixture.Result copy = cli.run("copy", "--from", from.toString(), "--to", to.toString(), "--segments", "3",
                "--page-size", "50", "--json", "--checkpoint-dir", dir.resolve("cp").toString(), "--reject-file",
                dir.resolve("rejects.jsonl").toString());
        assertEquals(Polystore.OK, copy.exit(), copy + "\nrejects: " + rejects());
        JsonNode total = json(copy.out()).path("total");
        assertEquals(data.size(), total.path("read").asLong(), copy.out());
        assertEquals(data.size(), total.path("written").asLong(), copy.out());
        assertHolds(to, "users", data);
        CliFixture.Result verify = cli.run("verify", "--from", from.toString(), "--to", to.toString());
        assertEquals(Polystore.OK, verify.exit(), verify.toString());
        assertTrue(verify.out().contains("0 differences"), verify.out());
    }

    private String rejects() {
        try {
            Path f = dir.resolve("rejects.jsonl");
            return Files.exists(f) ? Files.readString(f).replaceAll("\"pk\":\"[^\"]{40,}\"", "\"pk\":\"...\"") : "none";
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static JsonNode json(String out) {
        try {
            return JSON.readTree(out.trim());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + out, e);
        }
    }

    @Test
    @DisplayName("copy memory -> SQLite, then verify: 0 differences, versions and expiry kept")
    void memoryToSqlite() {
        copyAndVerify(CliFixture.memoryConfig(dir, "a"), CliFixture.sqliteConfig(dir, "b"));
    }

    @Test
    @DisplayName("copy SQLite -> DynamoDB Local, then verify: 0 differences")
    void sqliteToDynamo() {
        copyAndVerify(CliFixture.sqliteConfig(dir, "a"), dynamo("b"));
    }

    @Test
    @DisplayName("copy SQLite -> PostgreSQL, then verify: 0 differences, versions and expiry kept")
    void sqliteToPostgres() {
        copyAndVerify(CliFixture.sqliteConfig(dir, "a"), postgres("b"));
    }

    @Test
    @DisplayName("copy PostgreSQL -> DynamoDB Local, then verify: 0 differences, versions and expiry kept")
    void postgresToDynamo() {
        copyAndVerify(postgres("a"), dynamo("b"));
    }

    @Test
    @DisplayName("copy PostgreSQL -> Redis, then verify: 0 differences, versions and expiry kept")
    void postgresToRedis() {
        copyAndVerify(postgres("a"), redis("b"));
    }

    @Test
    @DisplayName("copy Redis -> SQLite, then verify: 0 differences, versions and expiry kept")
    void redisToSqlite() {
        copyAndVerify(redis("a"), CliFixture.sqliteConfig(dir, "b"));
    }

    @Test
    @DisplayName("copy PostgreSQL -> PostgreSQL (another table prefix), then verify: 0 differences")
    void postgresToPostgres() {
        copyAndVerify(postgres("a"), postgres("b"));
    }

    @Test
    @DisplayName("copy DynamoDB Local -> memory, then verify: 0 differences")
    void dynamoToMemory() {
        copyAndVerify(dynamo("a"), CliFixture.memoryConfig(dir, "b"));
    }

    @Test
    @DisplayName("verify lists the keys missing on the target, missing on the source and differing, and exits 1")
    void verifyFindsDifferences() {
        Path a = CliFixture.sqliteConfig(dir, "a");
        Path b = CliFixture.memoryConfig(dir, "b");
        writeData(a, "users");
        assertEquals(Polystore.OK, cli.run("copy", "--from", a.toString(), "--to", b.toString()).exit());
        try (Storage s = cli.open(b)) {
            Store<byte[]> st = s.store("users", Codec.bytes());
            st.put(Item.of(Key.of("big", "one"), new byte[] {9})).join();   // differing
            st.delete("exp", "later").join();                     // missing on target
            st.put(Item.of(Key.of("extra", "x"), new byte[] {1})).join();    // missing on source
        }
        CliFixture.Result v = cli.run("verify", "--from", a.toString(), "--to", b.toString(), "--json");
        assertEquals(Polystore.DIFFERENCES, v.exit(), v.toString());
        JsonNode store = json(v.out()).path("stores").get(0);
        assertEquals(1, store.path("missingOnTarget").asLong(), v.out());
        assertEquals(1, store.path("missingOnSource").asLong(), v.out());
        assertEquals(1, store.path("differing").asLong(), v.out());
        assertEquals("later", store.path("missingOnTargetKeys").get(0).path("sk").asText());
        assertEquals("extra", store.path("missingOnSourceKeys").get(0).path("pk").asText());
        assertEquals("big", store.path("differingKeys").get(0).path("pk").asText());
        assertEquals(3, json(v.out()).path("differences").asLong());
    }

    @Test
    @DisplayName("export SQLite to gzip, import into DynamoDB Local and memory: verify 0 differences; importing again keeps everything")
    void exportImport() throws IOException {
        Path a = CliFixture.sqliteConfig(dir, "a");
        Path b = dynamo("b");
        Path c = CliFixture.memoryConfig(dir, "c");
        Map<Key, StoredItem> data = writeData(a, "users");
        Path file = dir.resolve("users.jsonl.gz");
        CliFixture.Result export = cli.run("export", "--from", a.toString(), "--out", file.toString(), "--json");
        assertEquals(Polystore.OK, export.exit(), export.toString());
        assertEquals(data.size(), json(export.out()).path("items").asLong());
        byte[] head = Files.readAllBytes(file);
        assertEquals((byte) 0x1f, head[0], "gzip by the file name");
        for (Path target : List.of(b, c)) {
            CliFixture.Result imp = cli.run("import", "--to", target.toString(), "--in", file.toString(), "--json",
                    "--reject-file", dir.resolve("rejects.jsonl").toString());
            assertEquals(Polystore.OK, imp.exit(), imp + "\nrejects: " + rejects());
            assertEquals(data.size(), json(imp.out()).path("total").path("written").asLong(), imp.out());
            assertHolds(target, "users", data);
            CliFixture.Result v = cli.run("verify", "--from", a.toString(), "--to", target.toString());
            assertEquals(Polystore.OK, v.exit(), v.toString());
        }
        CliFixture.Result again = cli.run("import", "--to", c.toString(), "--in", file.toString(), "--json");
        assertEquals(Polystore.OK, again.exit(), again.toString());
        assertEquals(data.size(), json(again.out()).path("total").path("kept").asLong(), again.out());
        assertEquals(0, json(again.out()).path("total").path("written").asLong(), again.out());
    }

    @Test
    @DisplayName("a copy that fails midway exits 4; the same command resumes from its checkpoints and the counts add up")
    void resumeAfterFailure() {
        Path a = CliFixture.sqliteConfig(dir, "a");
        Path b = CliFixture.memoryConfig(dir, "b");
        Map<Key, StoredItem> data = writeData(a, "users");
        AtomicInteger pages = new AtomicInteger();
        cli.wrap(a, inner -> new ForwardingStorageBackend(inner) {
            @Override
            public CompletableFuture<ScanPage> scan(String table, String position, int limit) {
                if (pages.incrementAndGet() == 4) {
                    return CompletableFuture.failedFuture(new UnavailableException("injected: the source went away", null));
                }
                return delegate.scan(table, position, limit);
            }
        });
        String[] copy = {"copy", "--from", a.toString(), "--to", b.toString(), "--segments", "2", "--page-size", "10",
            "--json"};
        CliFixture.Result first = cli.run(copy);
        assertEquals(Polystore.ENGINE_FAILED, first.exit(), first.toString());
        assertTrue(first.err().contains("injected"), first.err());
        cli.unwrap(a);
        CliFixture.Result second = cli.run(copy);
        assertEquals(Polystore.OK, second.exit(), second.toString());
        JsonNode total = json(second.out()).path("total");
        assertEquals(data.size(), total.path("read").asLong(), "the resumed copy counts every item once: " + second.out());
        assertEquals(data.size(), total.path("written").asLong() + total.path("kept").asLong(), second.out());
        assertEquals(Polystore.OK, cli.run("verify", "--from", a.toString(), "--to", b.toString()).exit());
        CliFixture.Result third = cli.run(copy);
        assertEquals(Polystore.OK, third.exit(), third.toString());
        assertEquals(data.size(), json(third.out()).path("total").path("read").asLong(), "a finished copy is not repeated");
        CliFixture.Result restarted = cli.run("copy", "--from", a.toString(), "--to", b.toString(), "--restart", "--json");
        assertEquals(Polystore.OK, restarted.exit(), restarted.toString());
        assertEquals(data.size(), json(restarted.out()).path("total").path("kept").asLong(), "--restart copies again; "
                + "IF_NEWER keeps what is there: " + restarted.out());
    }

    @Test
    @DisplayName("--dry-run reads everything and writes nothing")
    void dryRun() {
        Path a = CliFixture.sqliteConfig(dir, "a");
        Path b = CliFixture.memoryConfig(dir, "b");
        Map<Key, StoredItem> data = writeData(a, "users");
        CliFixture.Result r = cli.run("copy", "--from", a.toString(), "--to", b.toString(), "--dry-run", "--json");
        assertEquals(Polystore.OK, r.exit(), r.toString());
        assertEquals(data.size(), json(r.out()).path("total").path("read").asLong());
        try (Storage s = cli.open(b)) {
            assertEquals(List.of(), Migration.of(s).stores().join(), "a dry run created or wrote something");
        }
    }

    @Test
    @DisplayName("bad input exits 3 with a message saying what is wrong, and writes nothing")
    void badInput() throws IOException {
        Path a = CliFixture.sqliteConfig(dir, "a");
        Path b = CliFixture.memoryConfig(dir, "b");
        writeData(a, "users");
        CliFixture.Result self = cli.run("copy", "--from", a.toString(), "--to", a.toString());
        assertEquals(Polystore.BAD_INPUT, self.exit(), self.toString());
        assertTrue(self.err().contains("onto itself"), self.err());
        Path twin = CliFixture.write(dir.resolve("twin.toml"), Files.readString(a));
        assertEquals(Polystore.BAD_INPUT, cli.run("copy", "--from", a.toString(), "--to", twin.toString()).exit());
        CliFixture.Result missing = cli.run("copy", "--from", dir.resolve("nope.toml").toString(), "--to", b.toString());
        assertEquals(Polystore.BAD_INPUT, missing.exit(), missing.toString());
        CliFixture.Result segs = cli.run("copy", "--from", a.toString(), "--to", b.toString(), "--segments", "0");
        assertEquals(Polystore.BAD_INPUT, segs.exit(), segs.toString());
        assertTrue(segs.err().contains("--segments must be from 1"), segs.err());
        CliFixture.Result store = cli.run("copy", "--from", a.toString(), "--to", b.toString(), "--stores", "nosuch");
        assertEquals(Polystore.BAD_INPUT, store.exit(), store.toString());
        assertTrue(store.err().contains("'nosuch' does not exist"), store.err());
        assertEquals(Polystore.USAGE, cli.run("copy", "--from", a.toString(), "--bogus").exit());

        Path notExport = CliFixture.write(dir.resolve("x.jsonl"), "{\"hello\":1}\n");
        CliFixture.Result ne = cli.run("import", "--to", b.toString(), "--in", notExport.toString());
        assertEquals(Polystore.BAD_INPUT, ne.exit(), ne.toString());
        assertTrue(ne.err().contains("not a Polystore export"), ne.err());

        Path full = dir.resolve("full.jsonl");
        assertEquals(Polystore.OK, cli.run("export", "--from", a.toString(), "--out", full.toString()).exit());
        List<String> lines = Files.readAllLines(full, StandardCharsets.UTF_8);
        Path truncated = dir.resolve("truncated.jsonl");
        Files.write(truncated, lines.subList(0, lines.size() - 1), StandardCharsets.UTF_8);
        CliFixture.Result tr = cli.run("import", "--to", b.toString(), "--in", truncated.toString());
        assertEquals(Polystore.BAD_INPUT, tr.exit(), tr.toString());
        assertTrue(tr.err().contains("truncated"), tr.err());
        List<String> altered = new ArrayList<>(lines);
        altered.set(1, altered.get(1).replaceFirst("\"version\":", "\"version\":9"));
        Path alt = dir.resolve("altered.jsonl");
        Files.write(alt, altered, StandardCharsets.UTF_8);
        CliFixture.Result al = cli.run("import", "--to", b.toString(), "--in", alt.toString());
        assertEquals(Polystore.BAD_INPUT, al.exit(), al.toString());
        assertTrue(al.err().contains("does not match the trailer"), al.err());
        try (Storage s = cli.open(b)) {
            assertEquals(List.of(), Migration.of(s).stores().join(), "bad input wrote something");
        }
    }

    @Test
    @DisplayName("every command has --help, and polystore lists its exit codes")
    void help() {
        for (String c : List.of("copy", "verify", "export", "import")) {
            CliFixture.Result r = cli.run(c, "--help");
            assertEquals(0, r.exit(), r.toString());
            assertTrue(r.out().contains("Usage: polystore " + c), r.out());
        }
        CliFixture.Result top = cli.run("--help");
        assertTrue(top.out().contains("Exit codes:"), top.out());
        assertFalse(top.out().isBlank());
    }
}
