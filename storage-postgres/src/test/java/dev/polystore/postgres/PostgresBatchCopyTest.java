package dev.polystore.postgres;

import static dev.polystore.postgres.Pg.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Condition;
import dev.polystore.Key;
import dev.polystore.StorageConfig;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.WriteOp;
import dev.polystore.testkit.MutableClock;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Batch chunks of new keys written with {@code COPY} (binary format): the bytes and versions they
 * store are the upsert's, and every chunk that {@code COPY} cannot write (stored keys, a
 * concurrent insert, small chunks, {@code batch_copy = false}) is upserted instead.
 */
class PostgresBatchCopyTest {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    private static final String TABLE = "copied";

    private final MutableClock clock = MutableClock.startingNow();
    private final String prefix = PostgresBackendTest.prefix();

    private PostgresBackend open(Map<String, String> extra) {
        StorageConfig config = Pg.config(POSTGRES.server()).set("postgres.table_prefix", prefix).build();
        PostgresBackend backend = PostgresBackend.open(PostgresSettings.from(Pg.section(config, extra)), clock);
        await(backend.prepareTable(TABLE));
        return backend;
    }

    private static WriteOp.Put put(String pk, String sk, byte[] payload, Instant expiresAt) {
        return new WriteOp.Put(TABLE, Key.of(pk, sk), payload, expiresAt, Condition.none());
    }

    /** Every byte value, twice, and the bytes a text-format COPY would have to escape. */
    private static byte[] awkward(int i) {
        byte[] b = new byte[512 + 8];
        for (int j = 0; j < 512; j++) {
            b[j] = (byte) (j + i);
        }
        byte[] tail = {0, '\\', '\t', '\n', '\r', 'N', '.', (byte) 0xFF};
        System.arraycopy(tail, 0, b, 512, tail.length);
        return b;
    }

    private static List<WriteOp> newItems(String pk, int n, Instant expiry) {
        Random random = new Random(n);
        List<WriteOp> ops = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] payload;
            if (i % 50 == 7) {
                payload = new byte[300 * 1024]; // larger than the COPY buffer: written past it
                random.nextBytes(payload);
            } else if (i % 50 == 8) {
                payload = new byte[0];
            } else {
                payload = awkward(i);
            }
            // Keys in no order, with characters a text COPY would escape and one above U+FFFF.
            String sk = String.format("%04d", (i * 37) % n) + (i % 3 == 0 ? "\t\\N\n" : i % 3 == 1 ? "\uD83D\uDE00" : "\\.");
            ops.add(put(pk, sk, payload, i % 4 == 0 ? expiry : null));
        }
        return ops;
    }

    @Test
    @DisplayName("a chunk of new keys goes through COPY: every byte, large and empty payloads, expiry and version 1 intact")
    void newKeysCopied() {
        try (PostgresBackend backend = open(Map.of())) {
            Instant expiry = clock.instant().plusSeconds(60);
            List<WriteOp> ops = newItems("new", 200, expiry);
            await(backend.batchWrite(TABLE, ops));
            assertEquals(1, backend.batchCopies());
            for (WriteOp op : ops) {
                WriteOp.Put p = (WriteOp.Put) op;
                RawItem item = await(backend.get(TABLE, p.key())).orElseThrow(() -> new AssertionError(p.key() + " missing"));
                assertArrayEquals(p.payload(), item.payload(), p.key().toString());
                assertEquals(1, item.version(), p.key().toString());
                assertEquals(p.expiresAt() == null ? null : p.expiresAt().getEpochSecond(),
                        item.expiresAt() == null ? null : item.expiresAt().getEpochSecond(), p.key().toString());
            }
            clock.advance(Duration.ofSeconds(61));
            assertTrue(await(backend.get(TABLE, ops.get(0).key())).isEmpty(), "expired after its time");
            assertTrue(await(backend.get(TABLE, ops.get(1).key())).isPresent(), "no expiry");
            // Written again (stored keys now): the upsert, versions computed as for single puts.
            await(backend.batchWrite(TABLE, newItems("new", 200, clock.instant().plusSeconds(60))));
            assertEquals(1, backend.batchCopies(), "stored keys are upserted");
            assertEquals(1, await(backend.get(TABLE, ops.get(0).key())).orElseThrow().version(), "over an expired row: 1");
            assertEquals(2, await(backend.get(TABLE, ops.get(1).key())).orElseThrow().version(), "over a live row: 2");
        }
    }

    @Test
    @DisplayName("a chunk with one stored key, small chunks and batch_copy = false are upserted")
    void upsertedInstead() {
        try (PostgresBackend backend = open(Map.of())) {
            List<WriteOp> ops = newItems("mixed", 100, null);
            await(backend.put((WriteOp.Put) ops.get(50)));
            await(backend.batchWrite(TABLE, ops));
            await(backend.batchWrite(TABLE, newItems("small", PostgresBackend.COPY_MIN_ITEMS - 1, null)));
            assertEquals(0, backend.batchCopies());
            assertEquals(2, await(backend.get(TABLE, ops.get(50).key())).orElseThrow().version());
            assertEquals(1, await(backend.get(TABLE, ops.get(51).key())).orElseThrow().version());
        }
        try (PostgresBackend backend = open(Map.of("batch_copy", "false"))) {
            List<WriteOp> ops = newItems("off", 100, null);
            await(backend.batchWrite(TABLE, ops));
            assertEquals(0, backend.batchCopies());
            assertArrayEquals(((WriteOp.Put) ops.get(9)).payload(), await(backend.get(TABLE, ops.get(9).key())).orElseThrow()
                    .payload());
        }
    }

    @Test
    @DisplayName("a key inserted by another writer after the probe: the COPY fails on it, and the chunk is upserted")
    void concurrentInsert() throws Exception {
        try (PostgresBackend backend = open(Map.of());
             Connection other = POSTGRES.server().connect(Pg.DATABASE)) {
            List<WriteOp> ops = newItems("race", 100, null);
            WriteOp.Put raced = (WriteOp.Put) ops.get(40);
            other.setAutoCommit(false);
            try (PreparedStatement ps = other.prepareStatement("INSERT INTO \"" + prefix + TABLE
                    + "\" (pk, sk, version, expires_at, wt, payload) VALUES (?, ?, 7, NULL, NULL, ?)")) {
                ps.setBytes(1, raced.key().pk().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                ps.setBytes(2, raced.key().sk().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                ps.setBytes(3, new byte[] {1});
                ps.executeUpdate();
            }
            // Not committed: the probe does not see it, the COPY waits for it on the primary key.
            CompletableFuture<Void> batch = CompletableFuture.supplyAsync(() -> await(backend.batchWrite(TABLE, ops)));
            try (Connection watch = POSTGRES.server().connect(Pg.DATABASE);
                 PreparedStatement ps = watch.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE "
                         + "wait_event_type = 'Lock' AND query LIKE 'COPY %'")) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                boolean waiting = false;
                while (!waiting && System.nanoTime() < deadline) {
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        waiting = rs.getInt(1) == 1;
                    }
                }
                assertTrue(waiting, "the COPY waits for the other writer's key");
            }
            other.commit();
            batch.get(60, TimeUnit.SECONDS);
            assertEquals(0, backend.batchCopies());
            RawItem item = await(backend.get(TABLE, raced.key())).orElseThrow();
            assertEquals(8, item.version(), "upserted over the other writer's version 7");
            assertArrayEquals(raced.payload(), item.payload());
            assertEquals(1, await(backend.get(TABLE, ops.get(41).key())).orElseThrow().version());
            try (Statement s = other.createStatement();
                 ResultSet rs = s.executeQuery("SELECT count(*) FROM \"" + prefix + TABLE + "\" WHERE pk = 'race'::bytea")) {
                rs.next();
                assertEquals(100, rs.getInt(1), "each key once");
            }
            other.commit();
        }
    }

    @Test
    @DisplayName("after a chunk found stored keys the next chunks of its table skip the probe, then probe again")
    void probeSkipped() {
        try (PostgresBackend backend = open(Map.of())) {
            List<WriteOp> first = newItems("hint", 100, null);
            await(backend.put((WriteOp.Put) first.get(0)));
            await(backend.batchWrite(TABLE, first));
            for (int i = 0; i < PostgresBackend.COPY_SKIPS_AFTER_HIT; i++) {
                await(backend.batchWrite(TABLE, newItems("hint-" + i, 100, null)));
            }
            assertEquals(0, backend.batchCopies(), "upserted without a probe");
            await(backend.batchWrite(TABLE, newItems("hint-last", 100, null)));
            assertEquals(1, backend.batchCopies(), "probed again");
            assertNull(await(backend.get(TABLE, first.get(3).key())).orElseThrow().expiresAt());
        }
    }
}
