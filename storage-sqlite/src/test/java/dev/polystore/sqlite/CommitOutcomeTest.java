package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static dev.polystore.sqlite.StatementEvictionTest.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Condition;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * Issue 12, section 2: what a failed {@code COMMIT} reports. "Outcome unknown" only where the
 * COMMIT ran and failed with an I/O or corruption error; a driver error with no SQLite result
 * code means the COMMIT never reached SQLite (not written, retryable). And a mid-group
 * {@code SQLITE_FULL} that rolls the whole transaction back fails only its own write: the
 * innocent writes grouped with it are run again and succeed.
 */
class CommitOutcomeTest {
    private static final Map<String, String> SETTINGS = Map.of("expiry_purge_interval_s", "0");
    private static final Predicate<JdbcFaults.Call> COMMIT = JdbcFaults.onConnection(0)
            .and(JdbcFaults.method("execute")).and(JdbcFaults.sql("COMMIT"));

    @TempDir
    Path dir;

    private final JdbcFaults faults = new JdbcFaults();
    private Storage storage;
    private Store<String> s;

    @BeforeEach
    void open() {
        storage = Sqlite.open(dir.resolve("c.db"), SETTINGS, faults);
        s = Sqlite.strings(storage);
        await(s.put(Item.of("p", "warm", "up")));
    }

    @AfterEach
    void close() {
        storage.close();
    }

    private boolean present(String sk) {
        return await(s.get("p", sk)).isPresent();
    }

    @Test
    void aDriverErrorWithoutAResultCodeAtCommitMeansNotWritten() {
        faults.arm(1, SqliteFault.NO_CODE, COMMIT);
        UnavailableException alone = failure(UnavailableException.class, s.put(Item.of("p", "alone", "v")));
        assertTrue(alone.getMessage().contains("nothing was written"), alone.getMessage());
        assertTrue(!present("alone"));

        // The 2nd COMMIT: the 1st is the gate write's (see Sqlite.inOneGroup).
        faults.arm(2, SqliteFault.NO_CODE, COMMIT);
        List<CompletableFuture<Item<String>>> group = Sqlite.inOneGroup(s, faults, () -> List.of(
                s.put(Item.of("p", "g1", "v")), s.put(Item.of("p", "g2", "v")), s.put(Item.of("p", "g3", "v"))));
        for (int i = 0; i < group.size(); i++) {
            failure(UnavailableException.class, group.get(i));
            assertTrue(!present("g" + (i + 1)));
        }
        // Not written, so a retry with "if absent" succeeds: no false condition failure.
        assertEquals(1, await(s.put(Item.of("p", "alone", "v"), Condition.ifAbsent())).version());
        assertEquals(1, await(s.put(Item.of("p", "g1", "v"), Condition.ifAbsent())).version());
    }

    @Test
    void anIoErrorFromACommitThatRanIsOutcomeUnknownAndTheWriteIsThere() {
        faults.arm(1, SqliteFault.IOERR_AFTER, COMMIT);
        OutcomeUnknownException e = failure(OutcomeUnknownException.class, s.put(Item.of("p", "ran", "v")));
        assertEquals(Key.of("p", "ran"), e.key().orElseThrow());
        assertTrue(present("ran"), "the COMMIT ran: the write is durable although it was reported unknown");
        // The same storage goes on.
        assertEquals(2, await(s.put(Item.of("p", "ran", "w"))).version());
    }

    @Test
    void anIoErrorBeforeTheCommitRanIsOutcomeUnknownToo() {
        // The caller cannot tell these two apart; the backend must not claim "not written" here.
        faults.arm(1, SqliteFault.IOERR, COMMIT);
        failure(OutcomeUnknownException.class, s.put(Item.of("p", "notran", "v")));
        assertTrue(!present("notran"));
        assertEquals(1, await(s.put(Item.of("p", "notran", "v"), Condition.ifAbsent())).version());
    }

    @Test
    void aConditionCheckedAgainstAGroupWhoseCommitFailedIsNotReportedAsAConditionFailure() {
        faults.arm(2, SqliteFault.FULL_ROLLBACK, COMMIT);
        // The if-absent put sees the put before it in the same group; that put is then not committed.
        List<CompletableFuture<Item<String>>> group = Sqlite.inOneGroup(s, faults, () -> List.of(
                s.put(Item.of("p", "k", "first")), s.put(Item.of("p", "k", "second"), Condition.ifAbsent())));
        failure(UnavailableException.class, group.get(0));
        UnavailableException e = failure(UnavailableException.class, group.get(1));
        assertTrue(e.getMessage().contains("wrote nothing"), e.getMessage());
        assertTrue(!present("k"), "nothing of the group was written, so the condition did not really fail");
        assertEquals("second", await(s.put(Item.of("p", "k", "second"), Condition.ifAbsent())).value());
    }

    /**
     * Real SQLITE_FULL from the engine ({@code max_page_count}) on one large write in the
     * middle of each of 5 groups of 19 small writes: SQLite rolls the whole transaction back;
     * the large write fails ("disk full", not written), the 90 innocent ones succeed.
     */
    @Test
    void aFullDiskMidGroupFailsOnlyTheWriteThatDidNotFit() throws Exception {
        int rounds = 5;
        int innocentPerRound = 18;
        Connection writer = faults.connection(0);
        long pages = Connections.queryLong(writer, "PRAGMA page_count");
        Connections.queryLong(writer, "PRAGMA max_page_count = " + (pages + 10));
        long retriedBefore = retried();
        int innocentFailed = 0;
        Map<String, Integer> bigOutcomes = new TreeMap<>();
        String big = "x".repeat(200_000);
        for (int round = 0; round < rounds; round++) {
            int r = round;
            List<CompletableFuture<Item<String>>> innocent = new ArrayList<>();
            CompletableFuture<Item<String>> large = Sqlite.inOneGroup(s, faults, () -> {
                for (int i = 0; i < innocentPerRound / 2; i++) {
                    innocent.add(s.put(Item.of("p", "r" + r + "-a" + i, "small")));
                }
                CompletableFuture<Item<String>> l = s.put(Item.of("p", "big" + r, big));
                for (int i = 0; i < innocentPerRound / 2; i++) {
                    innocent.add(s.put(Item.of("p", "r" + r + "-b" + i, "small")));
                }
                return l;
            });
            for (CompletableFuture<Item<String>> f : innocent) {
                try {
                    await(f);
                } catch (AssertionError e) {
                    innocentFailed++;
                }
            }
            StoreException e = failure(StoreException.class, large);
            bigOutcomes.merge(e.getClass().getSimpleName(), 1, Integer::sum);
            assertInstanceOf(UnavailableException.class, e);
            assertTrue(hasCode(e, SQLiteErrorCode.SQLITE_FULL), "caused by SQLITE_FULL: " + e);
            assertTrue(!present("big" + r));
        }
        long retriedGroups = retried() - retriedBefore;
        // Space comes back: the large write goes through on the same storage.
        Connections.queryLong(writer, "PRAGMA max_page_count = 1000000000");
        await(s.put(Item.of("p", "big", big)));
        int innocentPresent = 0;
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < innocentPerRound / 2; i++) {
                innocentPresent += (present("r" + round + "-a" + i) ? 1 : 0) + (present("r" + round + "-b" + i) ? 1 : 0);
            }
        }
        System.out.println("[reliability] sqlite | mid-group SQLITE_FULL | max_page_count: rounds=" + rounds
                + " group=" + innocentPerRound + " small + 1 large write innocent writes=" + rounds * innocentPerRound
                + " innocent failed=" + innocentFailed + " innocent present=" + innocentPresent + " large writes="
                + bigOutcomes + " groups run again without the failed write=" + retriedGroups
                + " large write after space came back=ok");
        assertEquals(0, innocentFailed, "innocent writes failed with the one that did not fit");
        assertEquals(rounds * innocentPerRound, innocentPresent);
        assertTrue(retriedGroups > 0, "SQLite rolled back the whole transaction at least once (a one-row write that "
                + "hits SQLITE_FULL does), so the innocent writes were run again");
        assertEquals("ok", Sqlite.integrityCheck(dir.resolve("c.db")));
    }

    private long retried() {
        return Long.parseLong(await(storage.health()).details().get("write_groups_retried"));
    }

    static boolean hasCode(Throwable e, SQLiteErrorCode code) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof SQLiteException se && se.getResultCode() != null
                    && (se.getResultCode().code & 0xff) == (code.code & 0xff)) {
                return true;
            }
        }
        return false;
    }
}
