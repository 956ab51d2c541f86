package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static dev.polystore.sqlite.Sqlite.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.UnavailableException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group commit, made deterministic: another connection holds the write lock while writes queue
 * up, so the writer's second transaction must carry all of them.
 */
class GroupCommitTest {
    @TempDir
    Path dir;

    @Test
    void queuedWritesCommitTogetherAndAFailedConditionFailsOnlyItsOwnWrite() throws Exception {
        Path db = dir.resolve("g.db");
        try (Storage storage = Sqlite.open(db, Map.of("busy_timeout_ms", "60000", "expiry_purge_interval_s", "0"))) {
            Store<String> s = Sqlite.strings(storage);
            await(s.put(Item.of("p", "taken", "first")));
            long commitsBefore = Sqlite.backend(storage).commits();

            List<CompletableFuture<Item<String>>> puts = new ArrayList<>();
            CompletableFuture<Item<String>> clash;
            CompletableFuture<Item<String>> staleVersion;
            CompletableFuture<List<Long>> failingTx;
            CompletableFuture<List<Long>> goodTx;
            try (Connection other = Sqlite.raw(db); Statement st = other.createStatement()) {
                st.execute("BEGIN IMMEDIATE");
                for (int i = 0; i < 200; i++) {
                    puts.add(s.put(Item.of("p", String.format("k%03d", i), "v" + i)));
                }
                // Failing writes in the middle of the group: each must fail alone.
                clash = s.put(Item.of("p", "taken", "second"), Condition.ifAbsent());
                staleVersion = s.put(Item.of("p", "taken", "third"), Condition.ifVersion(7));
                failingTx = storage.transaction()
                        .put(s, Item.of("p", "tx-a", "a"), Condition.none())
                        .put(s, Item.of("p", "taken", "x"), Condition.ifAbsent())
                        .commit();
                goodTx = storage.transaction()
                        .put(s, Item.of("p", "tx-b", "b"), Condition.ifAbsent())
                        .delete(s, Key.of("p", "k000"), Condition.ifExists())
                        .commit();
                for (int i = 200; i < 250; i++) {
                    puts.add(s.put(Item.of("p", String.format("k%03d", i), "v" + i)));
                }
                assertFalse(puts.get(0).isDone(), "no write can commit while another connection holds the lock");
                assertEquals("first", await(s.get("p", "taken")).orElseThrow().value(),
                        "reads do not wait for the write lock (WAL)");
                st.execute("COMMIT");
            }

            for (CompletableFuture<Item<String>> p : puts) {
                assertEquals(1, await(p).version());
            }
            ConditionFailedException c1 = failure(ConditionFailedException.class, clash);
            assertEquals(Key.of("p", "taken"), c1.key().orElseThrow());
            failure(ConditionFailedException.class, staleVersion);
            assertEquals(1, failure(ConditionFailedException.class, failingTx).operationIndex().orElseThrow());
            assertEquals(List.of(1L, 0L), await(goodTx));

            // The queued writes shared one or two transactions (the first write may have gone alone).
            long commits = Sqlite.backend(storage).commits() - commitsBefore;
            assertTrue(commits <= 2, "254 queued writes took " + commits + " commits; group commit did not group");

            assertEquals("first", await(s.get("p", "taken")).orElseThrow().value());
            assertTrue(await(s.get("p", "tx-a")).isEmpty(), "a failed transaction writes nothing");
            assertEquals("b", await(s.get("p", "tx-b")).orElseThrow().value());
            assertTrue(await(s.get("p", "k000")).isEmpty());
            assertEquals(249 + 2, await(s.query("p", "")).size());
        }
    }

    @Test
    void conditionalWritesToOneKeyInOneGroupSeeEachOther() throws Exception {
        try (Storage storage = Sqlite.open(dir.resolve("inc.db"))) {
            Store<String> s = Sqlite.strings(storage);
            await(s.put(Item.of("p", "counter", "0")));
            int threads = 8;
            int increments = 40;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<CompletableFuture<Integer>> workers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    workers.add(CompletableFuture.supplyAsync(() -> {
                        int conflicts = 0;
                        for (int i = 0; i < increments; i++) {
                            while (true) {
                                Item<String> c = s.get("p", "counter").join().orElseThrow();
                                String next = String.valueOf(Integer.parseInt(c.value()) + 1);
                                try {
                                    s.put(Item.of("p", "counter", next), Condition.ifVersion(c.version())).join();
                                    break;
                                } catch (CompletionException e) {
                                    assertInstanceOf(ConditionFailedException.class, e.getCause());
                                    conflicts++;
                                }
                            }
                        }
                        return conflicts;
                    }, pool));
                }
                workers.forEach(Sqlite::await);
            } finally {
                pool.shutdown();
            }
            Item<String> counter = await(s.get("p", "counter")).orElseThrow();
            assertEquals(String.valueOf(threads * increments), counter.value(), "no lost update");
            assertEquals(1 + threads * increments, counter.version());
        }
    }

    @Test
    void groupsAreCappedByGroupCommitMaxOps() throws Exception {
        Path db = dir.resolve("cap.db");
        try (Storage storage = Sqlite.open(db, Map.of("busy_timeout_ms", "60000", "group_commit_max_ops", "10", "expiry_purge_interval_s", "0"))) {
            Store<String> s = Sqlite.strings(storage);
            await(s.put(Item.of("p", "warm", "up")));
            long before = Sqlite.backend(storage).commits();
            List<CompletableFuture<Item<String>>> puts = new ArrayList<>();
            try (Connection other = Sqlite.raw(db); Statement st = other.createStatement()) {
                st.execute("BEGIN IMMEDIATE");
                for (int i = 0; i < 100; i++) {
                    puts.add(s.put(Item.of("p", "k" + i, "v")));
                }
                st.execute("COMMIT");
            }
            puts.forEach(Sqlite::await);
            long commits = Sqlite.backend(storage).commits() - before;
            assertTrue(commits >= 10 && commits <= 11, "100 writes in groups of at most 10 took " + commits + " commits");
        }
    }

    @Test
    void aLockHeldPastTheBusyTimeoutFailsAsRetryableUnavailable() throws Exception {
        Path db = dir.resolve("busy.db");
        try (Storage storage = Sqlite.open(db, Map.of("busy_timeout_ms", "300"))) {
            Store<String> s = Sqlite.strings(storage);
            await(s.put(Item.of("p", "a", "1")));
            UnavailableException e;
            try (Connection other = Sqlite.raw(db); Statement st = other.createStatement()) {
                st.execute("BEGIN IMMEDIATE");
                e = failure(UnavailableException.class, s.put(Item.of("p", "b", "2")));
                st.execute("ROLLBACK");
            }
            assertTrue(e.retryable());
            assertInstanceOf(SQLException.class, e.getCause(), "the driver's exception is kept as the cause");
            assertTrue(e.getMessage().contains("busy_timeout_ms"), e.getMessage());
            // Once the lock is gone, writing works again.
            assertEquals(1, await(s.put(Item.of("p", "b", "2"))).version());
            // Reads never wait for the writer in WAL mode.
            assertEquals("1", await(s.get("p", "a")).orElseThrow().value());
        }
    }
}
