package dev.polystore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import dev.polystore.cli.command.Polystore;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.spi.ImportMode;
import dev.polystore.spi.ImportOutcome;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.ScanPage;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code polystore copy --delete-extra}: deletes on the target what the source lacks, only when
 * asked, never after an error or a rejected item, counted in the summary, counted only with
 * {@code --dry-run}; and the progress output ({@code --progress lines}, {@code --quiet},
 * {@code --json}).
 */
class CopyDeleteExtraTest {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ITEMS = 60;

    @TempDir
    Path dir;

    private final CliFixture cli = new CliFixture();

    private Path config(String engine, String name) {
        String run = UUID.randomUUID().toString().substring(0, 6);
        return switch (engine) {
            case "sqlite" -> CliFixture.sqliteConfig(dir, name + run);
            case "postgres" -> CliFixture.postgresConfig(dir, name + run, POSTGRES.server(), "d" + run + "_");
            case "memory" -> CliFixture.memoryConfig(dir, name + run);
            default -> throw new IllegalArgumentException(engine);
        };
    }

    private void put(Path config, String store, String pk, int n) {
        try (Storage s = cli.open(config)) {
            Store<byte[]> st = s.store(store, Codec.bytes());
            List<CompletableFuture<?>> puts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                puts.add(st.put(Item.of(Key.of(pk + (i % 7), "k" + i), new byte[] {(byte) i})));
            }
            CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).join();
        }
    }

    private boolean has(Path config, String store, String pk, String sk) {
        try (Storage s = cli.open(config)) {
            return s.store(store, Codec.bytes()).get(pk, sk).join().isPresent();
        }
    }

    private static JsonNode json(String out) {
        try {
            return JSON.readTree(out.trim());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + out, e);
        }
    }

    /** Source with ITEMS items in users; target copied from it, plus 2 extra items in users and a store of its own. */
    private Path[] prepared(String targetEngine) {
        Path a = config("sqlite", "a");
        Path b = config(targetEngine, "b");
        put(a, "users", "u", ITEMS);
        CliFixture.Result copy = cli.run("copy", "--from", a.toString(), "--to", b.toString(), "--json");
        assertEquals(Polystore.OK, copy.exit(), copy.toString());
        put(b, "users", "extra", 2);   // extra0/k0, extra1/k1: missing on the source
        put(b, "theirs", "t", 1);      // a store the source does not have: never touched
        return new Path[] {a, b};
    }

    @ParameterizedTest(name = "SQLite -> {0}")
    @ValueSource(strings = {"sqlite", "postgres"})
    @DisplayName("--delete-extra deletes what the source lacks (counted); --dry-run counts it only; without it nothing is deleted")
    void deletesExtra(String targetEngine) {
        Path[] p = prepared(targetEngine);
        String a = p[0].toString();
        String b = p[1].toString();
        CliFixture.Result plain = cli.run("copy", "--from", a, "--to", b, "--restart", "--json");
        assertEquals(Polystore.OK, plain.exit(), plain.toString());
        assertEquals(0, json(plain.out()).path("total").path("deleted").asLong(), plain.out());
        assertTrue(has(p[1], "users", "extra0", "k0"), "a copy without --delete-extra deleted something");

        CliFixture.Result dry = cli.run("copy", "--from", a, "--to", b, "--delete-extra", "--dry-run", "--json");
        assertEquals(Polystore.OK, dry.exit(), dry.toString());
        assertEquals(2, json(dry.out()).path("total").path("deleted").asLong(), "a dry run counts: " + dry.out());
        assertTrue(has(p[1], "users", "extra0", "k0") && has(p[1], "users", "extra1", "k1"), "a dry run deleted");
        CliFixture.Result dryText = cli.run("copy", "--from", a, "--to", b, "--delete-extra", "--dry-run");
        assertTrue(dryText.out().contains("would delete 2"), dryText.out());

        CliFixture.Result real = cli.run("copy", "--from", a, "--to", b, "--delete-extra", "--restart", "--json");
        assertEquals(Polystore.OK, real.exit(), real.toString());
        JsonNode total = json(real.out()).path("total");
        assertEquals(2, total.path("deleted").asLong(), real.out());
        assertEquals(ITEMS, total.path("read").asLong(), real.out());
        assertTrue(json(real.out()).path("addsUp").asBoolean(), real.out());
        assertFalse(has(p[1], "users", "extra0", "k0") || has(p[1], "users", "extra1", "k1"), "extra items left");
        assertTrue(has(p[1], "theirs", "t0", "k0"), "a store the source lacks was touched");
        CliFixture.Result v = cli.run("verify", "--from", a, "--to", b, "--stores", "users");
        assertEquals(Polystore.OK, v.exit(), v.toString());
        CliFixture.Result again = cli.run("copy", "--from", a, "--to", b, "--delete-extra", "--restart", "--json");
        assertEquals(0, json(again.out()).path("total").path("deleted").asLong(), again.out());
    }

    @Test
    @DisplayName("an error during the copy (exit 4): nothing is deleted, also when the resumed copy has --delete-extra only then")
    void errorDeletesNothing() {
        Path[] p = prepared("memory");
        AtomicInteger pages = new AtomicInteger();
        cli.wrap(p[0], inner -> new ForwardingStorageBackend(inner) {
            @Override
            public CompletableFuture<ScanPage> scan(String table, String position, int limit) {
                if (pages.incrementAndGet() == 3) {
                    return CompletableFuture.failedFuture(new UnavailableException("injected: the source went away", null));
                }
                return delegate.scan(table, position, limit);
            }
        });
        String[] copy = {"copy", "--from", p[0].toString(), "--to", p[1].toString(), "--restart", "--page-size", "10",
            "--segments", "2", "--delete-extra", "--json"};
        CliFixture.Result failed = cli.run(copy);
        assertEquals(Polystore.ENGINE_FAILED, failed.exit(), failed.toString());
        assertTrue(has(p[1], "users", "extra0", "k0") && has(p[1], "users", "extra1", "k1"),
                "items were deleted after an error");
        cli.unwrap(p[0]);
        String[] resume = {"copy", "--from", p[0].toString(), "--to", p[1].toString(), "--page-size", "10",
            "--segments", "2", "--delete-extra", "--json"};
        CliFixture.Result resumed = cli.run(resume);
        assertEquals(Polystore.OK, resumed.exit(), resumed.toString());
        assertEquals(2, json(resumed.out()).path("total").path("deleted").asLong(), "deleted once the copy completed: "
                + resumed.out());
    }

    @Test
    @DisplayName("an extra item written again after the target's scan read it is kept (the delete is conditional on the version read)")
    void changedMeanwhileIsKept() {
        Path[] p = prepared("memory");
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        cli.wrap(p[1], inner -> new ForwardingStorageBackend(inner) {
            @Override
            public CompletableFuture<ScanPage> scan(String table, String position, int limit) {
                return delegate.scan(table, position, limit).thenCompose(page -> {
                    boolean hasExtra = page.items().stream().anyMatch(i -> i.key().equals(Key.of("extra0", "k0")));
                    if (table.equals("users") && hasExtra && once.compareAndSet(false, true)) {
                        // an application write lands between the scan and the deletion
                        return delegate.put(new dev.polystore.spi.WriteOp.Put(table, Key.of("extra0", "k0"), new byte[] {42},
                                null, dev.polystore.Condition.none())).thenApply(v -> page);
                    }
                    return CompletableFuture.completedFuture(page);
                });
            }
        });
        CliFixture.Result r = cli.run("copy", "--from", p[0].toString(), "--to", p[1].toString(), "--restart",
                "--delete-extra", "--segments", "1", "--json");
        assertEquals(Polystore.OK, r.exit(), r.toString());
        assertTrue(once.get(), "the write was staged");
        assertEquals(1, json(r.out()).path("total").path("deleted").asLong(), r.out());
        cli.unwrap(p[1]);
        assertTrue(has(p[1], "users", "extra0", "k0"), "an item written after the scan read it was deleted");
        assertFalse(has(p[1], "users", "extra1", "k1"), "the unchanged extra item was not deleted");
    }

    @Test
    @DisplayName("a rejected item: exit 1, nothing deleted, the summary says why")
    void rejectDeletesNothing() {
        Path[] p = prepared("memory");
        cli.wrap(p[1], inner -> new ForwardingStorageBackend(inner) {
            @Override
            public CompletableFuture<List<ImportOutcome>> importItems(String table, List<RawItem> items, ImportMode mode) {
                return delegate.importItems(table, items, mode).thenApply(outcomes -> {
                    List<ImportOutcome> out = new ArrayList<>(outcomes);
                    out.set(0, ImportOutcome.failed(new ValidationException("injected: refused")));
                    return out;
                });
            }
        });
        CliFixture.Result r = cli.run("copy", "--from", p[0].toString(), "--to", p[1].toString(), "--restart",
                "--delete-extra", "--json");
        assertEquals(Polystore.DIFFERENCES, r.exit(), r.toString());
        JsonNode root = json(r.out());
        assertTrue(root.path("total").path("rejected").asLong() > 0, r.out());
        assertEquals(0, root.path("total").path("deleted").asLong(), r.out());
        assertTrue(root.path("deletionSkipped").asText().contains("nothing was deleted"), r.out());
        assertTrue(r.err().contains("--delete-extra"), r.err());
        cli.unwrap(p[1]);
        assertTrue(has(p[1], "users", "extra0", "k0") && has(p[1], "users", "extra1", "k1"),
                "items were deleted after a rejected item");
    }

    @Test
    @DisplayName("progress: plain lines off a terminal (items, bytes, rate, segments); none with --quiet, --json or --progress none")
    void progress() {
        Path a = config("sqlite", "a");
        Path b = config("memory", "b");
        put(a, "users", "u", ITEMS);
        CliFixture.Result lines = cli.run("copy", "--from", a.toString(), "--to", b.toString(), "--segments", "2",
                "--page-size", "10", "--progress", "lines", "--progress-interval", "0");
        assertEquals(Polystore.OK, lines.exit(), lines.toString());
        List<String> progress = lines.err().lines().filter(l -> l.startsWith("polystore: users: ")).toList();
        assertTrue(progress.size() >= ITEMS / 10, lines.err());
        String last = progress.get(progress.size() - 1);
        assertTrue(last.contains(ITEMS + " ") && last.contains("items/s") && last.contains(" B")
                && last.contains("segments done 2/2"), last);
        for (String[] quiet : List.of(new String[] {"--quiet"}, new String[] {"--json"}, new String[] {"--progress", "none"})) {
            List<String> args = new ArrayList<>(List.of("copy", "--from", a.toString(), "--to", b.toString(), "--restart",
                    "--progress-interval", "0"));
            args.addAll(List.of(quiet));
            CliFixture.Result r = cli.run(args.toArray(String[]::new));
            assertEquals(Polystore.OK, r.exit(), r.toString());
            assertFalse(r.err().contains("polystore: users:"), String.join(" ", quiet) + ": " + r.err());
        }
        CliFixture.Result stats = cli.run("stats", "-c", a.toString(), "--progress", "lines", "--progress-interval", "0",
                "--page-size", "10");
        assertTrue(stats.err().contains("polystore: users: " + ITEMS + " "), stats.err());
    }
}
