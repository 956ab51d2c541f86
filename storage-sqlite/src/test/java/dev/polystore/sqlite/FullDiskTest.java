package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.polystore.BatchWriteException;
import dev.polystore.Condition;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.UnavailableException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * Issue 12, section 1: a full disk must not wedge the backend. Three ways to fill it, one
 * scenario: acknowledged writes, then the disk fills; every write while it is full fails as
 * "not written" ({@link UnavailableException}; a batch as a retryable
 * {@link BatchWriteException}), never as "outcome unknown"; then space comes back and the
 * <b>same</b> {@link Storage} writes again (single puts, concurrent puts sharing a group commit,
 * a batch, a transaction); after a reopen every acknowledged write is there with its value, no
 * failed write is, and {@code PRAGMA integrity_check} is {@code ok}.
 *
 * <ul>
 *   <li>{@code PRAGMA max_page_count}: SQLite's own {@code SQLITE_FULL}, raised by the engine at
 *       the statement that needs a page (always runs);</li>
 *   <li>an injected {@code SQLITE_FULL} at every {@code COMMIT} (always runs): the path of a
 *       full file system, where the write-ahead log cannot grow when the transaction commits;</li>
 *   <li>a real 4 MiB tmpfs filled by a ballast file, freed by deleting it (needs the right to
 *       mount, i.e. root with CAP_SYS_ADMIN; skipped with the reason otherwise).</li>
 * </ul>
 */
class FullDiskTest {
    private static final Map<String, String> SETTINGS = Map.of("expiry_purge_interval_s", "0");
    private static final String VALUE = "v".repeat(2000);

    @TempDir
    Path dir;

    /** How a scenario fills the disk and gives the space back. */
    private interface Disk {
        void fill() throws Exception;

        void free() throws Exception;
    }

    @Test
    void maxPageCountFullDatabase() throws Exception {
        Path db = dir.resolve("full.db");
        JdbcFaults faults = new JdbcFaults();
        Figures f = scenario("max_page_count", db, faults, new Disk() {
            @Override
            public void fill() throws SQLException {
                // The writer is idle (every write awaited, no purge): set its page limit from here.
                Connection writer = faults.connection(0);
                long pages = Connections.queryLong(writer, "PRAGMA page_count");
                Connections.queryLong(writer, "PRAGMA max_page_count = " + (pages + 3));
            }

            @Override
            public void free() throws SQLException {
                Connections.queryLong(faults.connection(0), "PRAGMA max_page_count = 1000000000");
            }
        });
        assertTrue(f.causes.containsKey("SQLITE_FULL"), "the engine reported SQLITE_FULL: " + f.causes);
    }

    @Test
    void injectedFullAtEveryCommit() throws Exception {
        Path db = dir.resolve("commit.db");
        JdbcFaults faults = new JdbcFaults();
        Figures f = scenario("SQLITE_FULL injected at every COMMIT", db, faults, new Disk() {
            @Override
            public void fill() {
                faults.armFrom(1, SqliteFault.FULL_ROLLBACK, JdbcFaults.onConnection(0)
                        .and(JdbcFaults.method("execute")).and(JdbcFaults.sql("COMMIT")));
            }

            @Override
            public void free() {
                faults.disarm();
            }
        });
        assertEquals(0, f.succeededWhileFull, "every commit failed while armed");
        assertTrue(faults.injected() >= 20, faults.injected() + " faults injected");
    }

    @Test
    void realFullFileSystem() throws Exception {
        Path mount = dir.resolve("tmpfs");
        Files.createDirectories(mount);
        String mounted = run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount.toString());
        Assumptions.assumeTrue(mounted == null, () -> "a real full disk needs a small file system: mounting a tmpfs "
                + "failed (" + mounted + "); it needs root with CAP_SYS_ADMIN. maxPageCountFullDatabase and "
                + "injectedFullAtEveryCommit cover the same paths");
        try {
            long total = Files.getFileStore(mount).getTotalSpace();
            assertTrue(total <= 8L * 1024 * 1024, "the tmpfs has " + total + " bytes");
            Path ballast = mount.resolve("ballast");
            scenario("tmpfs 4 MiB", mount.resolve("t.db"), new JdbcFaults(), new Disk() {
                @Override
                public void fill() throws IOException {
                    byte[] chunk = new byte[16 * 1024];
                    try (OutputStream out = Files.newOutputStream(ballast)) {
                        while (true) {
                            out.write(chunk);
                        }
                    } catch (IOException full) {
                        // No space left on device: the file system is full.
                    }
                    assertTrue(Files.size(ballast) > 0);
                }

                @Override
                public void free() throws IOException {
                    Files.delete(ballast);
                }
            });
        } finally {
            if (run("umount", mount.toString()) != null) {
                run("umount", "-l", mount.toString());
            }
        }
    }

    /** Runs a command; null if it exited 0, else its output and exit code (or the exception). */
    private static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "timed out";
            }
            return p.exitValue() == 0 ? null : "exit " + p.exitValue() + ": " + out;
        } catch (IOException e) {
            return e.toString();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return e.toString();
        }
    }

    private static final class Figures {
        int ackedBefore;
        int failedWhileFull;
        int succeededWhileFull;
        int writtenAfter;
        final Map<String, Integer> kinds = new TreeMap<>();
        final Map<String, Integer> causes = new TreeMap<>();
    }

    /** The shared scenario; returns its figures after asserting everything. */
    private Figures scenario(String name, Path db, JdbcFaults faults, Disk disk) throws Exception {
        Figures f = new Figures();
        Map<Key, String> acked = new LinkedHashMap<>();
        List<Key> notWritten = new ArrayList<>();
        int seq = 0;
        try (Storage storage = Sqlite.open(db, SETTINGS, faults)) {
            Store<String> s = Sqlite.strings(storage);
            for (int i = 0; i < 30; i++) {
                Key k = key("before", seq++);
                await(s.put(Item.of(k.pk(), k.sk(), VALUE + k.sk())));
                acked.put(k, VALUE + k.sk());
            }
            f.ackedBefore = acked.size();

            disk.fill();
            // Single puts until one fails (the first may still fit), then 20 more while full.
            int firstFailure = -1;
            for (int i = 0; i < 3000 && firstFailure < 0; i++) {
                Key k = key("full", seq++);
                if (write(s.put(Item.of(k.pk(), k.sk(), VALUE + k.sk())).thenApply(it -> null), List.of(k), k, f,
                        acked, notWritten)) {
                    f.succeededWhileFull++;
                } else {
                    firstFailure = i;
                }
            }
            assertTrue(firstFailure >= 0, name + ": no write failed after the disk was filled");
            for (int i = 0; i < 20; i++) {
                Key k = key("full", seq++);
                if (write(s.put(Item.of(k.pk(), k.sk(), VALUE + k.sk())).thenApply(it -> null), List.of(k), k, f,
                        acked, notWritten)) {
                    f.succeededWhileFull++;
                }
            }
            // Concurrent puts (group commit), a batch and a transaction while full.
            List<CompletableFuture<Void>> concurrent = new ArrayList<>();
            List<Key> concurrentKeys = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                Key k = key("full-group", seq++);
                concurrentKeys.add(k);
                concurrent.add(s.put(Item.of(k.pk(), k.sk(), VALUE + k.sk())).thenApply(it -> null));
            }
            for (int i = 0; i < concurrent.size(); i++) {
                Key k = concurrentKeys.get(i);
                if (write(concurrent.get(i), List.of(k), k, f, acked, notWritten)) {
                    f.succeededWhileFull++;
                }
            }
            List<Key> batch = new ArrayList<>();
            List<Item<String>> batchItems = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                Key k = key("full-batch", seq++);
                batch.add(k);
                batchItems.add(Item.of(k.pk(), k.sk(), VALUE + k.sk()));
            }
            if (write(s.batchPut(batchItems), batch, null, f, acked, notWritten)) {
                f.succeededWhileFull++;
            }
            Key t1 = key("full-tx", seq++);
            Key t2 = key("full-tx", seq++);
            if (write(storage.transaction().put(s, Item.of(t1.pk(), t1.sk(), VALUE + t1.sk()), Condition.ifAbsent())
                    .put(s, Item.of(t2.pk(), t2.sk(), VALUE + t2.sk()), Condition.none()).commit().thenApply(v -> null),
                    List.of(t1, t2), null, f, acked, notWritten)) {
                f.succeededWhileFull++;
            }
            assertTrue(f.failedWhileFull > 20, name + ": " + f.failedWhileFull + " writes failed while full");
            // Reads go on while the disk is full.
            for (Map.Entry<Key, String> e : acked.entrySet()) {
                assertEquals(e.getValue(), await(s.get(e.getKey().pk(), e.getKey().sk())).orElseThrow().value());
            }

            disk.free();
            // The same storage, without reopening: every kind of write works again.
            int before = acked.size();
            for (int i = 0; i < 20; i++) {
                Key k = key("after", seq++);
                await(s.put(Item.of(k.pk(), k.sk(), VALUE + k.sk())));
                acked.put(k, VALUE + k.sk());
            }
            List<CompletableFuture<Item<String>>> group = new ArrayList<>();
            List<Key> groupKeys = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                Key k = key("after-group", seq++);
                groupKeys.add(k);
                group.add(s.put(Item.of(k.pk(), k.sk(), VALUE + k.sk())));
            }
            for (int i = 0; i < group.size(); i++) {
                await(group.get(i));
                acked.put(groupKeys.get(i), VALUE + groupKeys.get(i).sk());
            }
            List<Item<String>> after = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                Key k = key("after-batch", seq++);
                after.add(Item.of(k.pk(), k.sk(), VALUE + k.sk()));
            }
            await(s.batchPut(after));
            after.forEach(it -> acked.put(it.key(), it.value()));
            Key a1 = key("after-tx", seq++);
            await(storage.transaction().put(s, Item.of(a1.pk(), a1.sk(), VALUE + a1.sk()), Condition.ifAbsent()).commit());
            acked.put(a1, VALUE + a1.sk());
            // The failed writes are retried by their callers: now they succeed (nothing was written, so if-absent holds).
            for (Key k : notWritten.subList(0, Math.min(10, notWritten.size()))) {
                await(s.put(Item.of(k.pk(), k.sk(), "retried"), Condition.ifAbsent()));
            }
            f.writtenAfter = acked.size() - before;
            assertTrue(await(storage.health()).healthy());
        }
        // Reopened: what was acknowledged is there, what failed is not, the file is intact.
        int lost = 0;
        int failedButPresent = 0;
        try (Storage storage = Sqlite.open(db)) {
            Store<String> s = Sqlite.strings(storage);
            for (Map.Entry<Key, String> e : acked.entrySet()) {
                Item<String> it = await(s.get(e.getKey().pk(), e.getKey().sk())).orElse(null);
                if (it == null || !it.value().equals(e.getValue())) {
                    lost++;
                }
            }
            List<Key> retried = notWritten.subList(0, Math.min(10, notWritten.size()));
            for (Key k : notWritten) {
                Item<String> it = await(s.get(k.pk(), k.sk())).orElse(null);
                if (retried.contains(k)) {
                    assertEquals("retried", it == null ? null : it.value(), k + " was retried once");
                } else if (it != null) {
                    failedButPresent++;
                }
            }
        }
        String integrity = Sqlite.integrityCheck(db);
        System.out.println("[reliability] sqlite | full disk | " + name + ": acked before=" + f.ackedBefore
                + " writes while full=" + (f.failedWhileFull + f.succeededWhileFull) + " failed=" + f.failedWhileFull
                + " by kind=" + f.kinds + " engine causes=" + f.causes + " succeeded while full=" + f.succeededWhileFull
                + " written after space came back (same Storage)=" + f.writtenAfter + " acked=" + acked.size()
                + " lost=" + lost + " failed but present=" + failedButPresent + " integrity=" + integrity);
        assertEquals(0, lost, "acknowledged writes lost");
        assertEquals(0, failedButPresent, "writes reported as not written, yet there");
        assertEquals("ok", integrity);
        assertFalse(f.kinds.containsKey(OutcomeUnknownException.class.getSimpleName()),
                "a full disk is known not to have written: " + f.kinds);
        return f;
    }

    private static Key key(String phase, int seq) {
        return Key.of("p", String.format("%s-%05d", phase, seq));
    }

    /**
     * Waits for a write of {@code keys}; records acknowledged ones and failures (which must be
     * "not written"). @return whether it succeeded
     */
    private static boolean write(CompletableFuture<Void> f, List<Key> keys, Key single, Figures figures,
                                 Map<Key, String> acked, List<Key> notWritten) {
        try {
            f.get(60, TimeUnit.SECONDS);
            keys.forEach(k -> acked.put(k, VALUE + k.sk()));
            return true;
        } catch (ExecutionException e) {
            Throwable c = e.getCause() instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : e.getCause();
            figures.failedWhileFull++;
            figures.kinds.merge(c.getClass().getSimpleName(), 1, Integer::sum);
            figures.causes.merge(engineCause(c), 1, Integer::sum);
            if (c instanceof BatchWriteException bwe) {
                assertTrue(bwe.retryable(), "a batch that hit a full disk may be retried: " + bwe);
                List<Key> unprocessed = bwe.unprocessed();
                for (Key k : keys) {
                    if (unprocessed.contains(k)) {
                        notWritten.add(k);
                    } else {
                        acked.put(k, VALUE + k.sk());
                    }
                }
            } else if (c instanceof UnavailableException) {
                notWritten.addAll(keys);
            } else {
                fail("a write on a full disk failed with " + c + " instead of UnavailableException", c);
            }
            return false;
        } catch (Exception e) {
            throw new AssertionError("write did not complete: " + e, e);
        }
    }

    private static String engineCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof SQLiteException se && se.getResultCode() != null) {
                SQLiteErrorCode code = se.getResultCode();
                return code.name().startsWith("SQLITE_FULL") ? "SQLITE_FULL" : code.name();
            }
            if (c instanceof SQLException) {
                return "no result code";
            }
        }
        return "none";
    }
}
