package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.testkit.reliability.ReliabilityContract;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6, item 6: a writer process killed with SIGKILL ({@code destroyForcibly}) at a random
 * moment of a stream of group-committed writes loses no acknowledged write, and the file stays
 * intact. (This is the process-crash case; surviving power loss is what {@code synchronous = FULL}
 * adds, and cannot be tested here.)
 *
 * <p>Each round starts a child JVM on the <b>same</b> file, so every round after the first
 * begins by recovering the write-ahead log the previous kill left behind, exactly what a user's
 * restarted service does, and a later crash must not lose an earlier round's writes either
 * (checked again after the last round). The child opens the store, prints {@code ready} and at
 * once keeps {@value #IN_FLIGHT} puts in flight, printing each key only after its future has
 * completed. The parent kills it after a seeded random number of acknowledgements: the first
 * round right at {@code ready} (writes queued, none acknowledged), the second after the first
 * acknowledgement, later rounds at {@code ready} (1 in 5), within the first 50 acknowledgements
 * (1 in 5) or anywhere up to {@value #MAX_ACKS}. Since the writer is never idle, a kill lands
 * inside a group's transaction or its {@code COMMIT}, or between a commit and its
 * acknowledgements. Acknowledgements still in the pipe after the kill count too.
 *
 * <p>After each kill: {@code PRAGMA integrity_check} must be {@code ok}; every acknowledged key
 * must be present with its value; keys present without an acknowledgement are fine (committed,
 * not yet reported) and counted. Rounds: {@value #ROUNDS} × {@code polystore.reliability.scale};
 * the seed is random and printed, {@value #SEED_PROPERTY} fixes it.
 */
class CrashTest {
    static final String SEED_PROPERTY = "polystore.reliability.crash.seed";
    static final int ROUNDS = 10;
    /** The latest kill point, in acknowledgements. */
    static final int MAX_ACKS = 1500;
    /** Puts the child keeps in flight, so the writer always has a group to commit. */
    static final int IN_FLIGHT = 200;
    /** Puts after which a child that was never killed stops (it should never get there). */
    static final int CHILD_MAX_PUTS = 100_000;
    static final Pattern ACK = Pattern.compile("ack k\\d{7}");

    @TempDir
    Path dir;

    @Test
    void acknowledgedWritesSurviveKillDashNine() throws Exception {
        int rounds = ROUNDS * scale();
        long seed = Long.getLong(SEED_PROPERTY, new Random().nextLong());
        Random random = new Random(seed);
        Path db = dir.resolve("crash.db");

        Map<String, Set<String>> ackedByRound = new HashMap<>();
        List<String> problems = new ArrayList<>();
        int roundsRun = 0;
        int killsAtReady = 0;
        int roundsWithoutAck = 0;
        long acked = 0;
        long ackedAfterKill = 0;
        long unackedPresent = 0;
        int roundsWithUnackedPresent = 0;
        int integrityOk = 0;
        long wrongValues = 0;
        long lost = 0;
        long lostAtEnd = -1;
        try {
            for (int round = 0; round < rounds; round++) {
                String pk = String.format("round-%04d", round);
                int killAfter = killPoint(round, random);
                Set<String> roundAcks = new LinkedHashSet<>();
                ackedByRound.put(pk, roundAcks);
                int afterKill;
                try (ChildJvm child = ChildJvm.start(Child.class, Duration.ofMinutes(2), db.toString(), pk,
                        String.valueOf(CHILD_MAX_PUTS))) {
                    StringBuilder other = new StringBuilder();
                    String line;
                    while ((line = child.readLine()) != null && !line.equals("ready")) {
                        other.append(line).append('\n');
                    }
                    assertEquals("ready", line, "round " + round + ": the child exited before it was ready:\n" + other);
                    while (roundAcks.size() < killAfter && (line = child.readLine()) != null) {
                        if (ACK.matcher(line).matches()) {
                            roundAcks.add(line.substring(4));
                        } else {
                            other.append(line).append('\n');
                        }
                    }
                    assertEquals(killAfter, roundAcks.size(), "round " + round + ": the child stopped before "
                            + killAfter + " acknowledgements (hung: " + child.hung() + "):\n" + other);
                    child.kill();
                    // What the child printed before it died: acknowledgements too, except a line cut by the kill.
                    List<String> rest = child.readToEnd();
                    int before = roundAcks.size();
                    for (int i = 0; i < rest.size(); i++) {
                        String l = rest.get(i);
                        if (ACK.matcher(l).matches()) {
                            roundAcks.add(l.substring(4));
                        } else if (!(i == rest.size() - 1 && "ack k0000000".startsWith(l.replaceAll("\\d", "0")))) {
                            other.append(l).append('\n');
                        }
                    }
                    afterKill = roundAcks.size() - before;
                    if (!other.isEmpty()) {
                        problems.add("round " + round + ": unexpected child output:\n" + other);
                    }
                }
                roundsRun++;
                killsAtReady += killAfter == 0 ? 1 : 0;
                roundsWithoutAck += roundAcks.isEmpty() ? 1 : 0;
                acked += roundAcks.size();
                ackedAfterKill += afterKill;

                List<String> integrity = integrityCheck(db);
                if (integrity.equals(List.of("ok"))) {
                    integrityOk++;
                } else {
                    problems.add("round " + round + ": integrity_check = " + integrity);
                }
                try (Storage storage = Sqlite.open(db)) {
                    Map<String, String> present = new HashMap<>();
                    for (Item<String> item : await(Sqlite.strings(storage).query(pk, ""))) {
                        present.put(item.sk(), item.value());
                    }
                    int unacked = 0;
                    for (Map.Entry<String, String> e : present.entrySet()) {
                        if (!e.getValue().equals(value(pk, e.getKey()))) {
                            wrongValues++;
                            problems.add("round " + round + ": " + e.getKey() + " has a wrong value");
                        }
                        unacked += roundAcks.contains(e.getKey()) ? 0 : 1;
                    }
                    unackedPresent += unacked;
                    roundsWithUnackedPresent += unacked > 0 ? 1 : 0;
                    List<String> missing = roundAcks.stream().filter(sk -> !present.containsKey(sk)).toList();
                    lost += missing.size();
                    if (!missing.isEmpty()) {
                        problems.add("round " + round + " (killed after " + killAfter + " acks): " + missing.size()
                                + " acknowledged writes lost, e.g. " + missing.subList(0, Math.min(10, missing.size())));
                    }
                }
            }
            // Later crashes (and the recoveries after them) kept every earlier round's writes.
            lostAtEnd = 0;
            try (Storage storage = Sqlite.open(db)) {
                Store<String> s = Sqlite.strings(storage);
                for (Map.Entry<String, Set<String>> round : ackedByRound.entrySet()) {
                    Set<String> present = new LinkedHashSet<>();
                    await(s.query(round.getKey(), "")).forEach(item -> present.add(item.sk()));
                    long missing = round.getValue().stream().filter(sk -> !present.contains(sk)).count();
                    lostAtEnd += missing;
                    if (missing > 0) {
                        problems.add(round.getKey() + ": " + missing + " acknowledged writes missing after the last round");
                    }
                }
            }
        } finally {
            System.out.println("[reliability] sqlite | 6 kill -9 | seed=" + seed + " rounds=" + roundsRun + "/" + rounds
                    + " kills at ready=" + killsAtReady + " rounds without ack=" + roundsWithoutAck
                    + " acked=" + acked + " acked after kill=" + ackedAfterKill
                    + " unacked present=" + unackedPresent + " rounds with unacked present=" + roundsWithUnackedPresent
                    + " integrity ok=" + integrityOk + "/" + roundsRun + " wrong values=" + wrongValues
                    + " file=" + (Files.exists(db) ? Files.size(db) / 1024 : 0) + "KiB"
                    + " lost=" + lost + " lost at end=" + lostAtEnd);
            System.out.flush();
        }
        assertEquals(List.of(), problems, "replay with -D" + SEED_PROPERTY + "=" + seed);
        assertEquals(0, lost);
        assertEquals(0, lostAtEnd);
        assertEquals(roundsRun, integrityOk);
        assertTrue(acked > 0, "no write was ever acknowledged");
    }

    /** After how many acknowledgements round {@code round} kills its child (0: right at "ready"). */
    static int killPoint(int round, Random random) {
        int draw = random.nextInt(MAX_ACKS);
        int kind = random.nextInt(5);
        if (round == 0) {
            return 0;
        }
        if (round == 1) {
            return 1;
        }
        return switch (kind) {
            case 0 -> 0;
            case 1 -> 1 + draw % 50;
            default -> 1 + draw;
        };
    }

    private static int scale() {
        String value = System.getProperty(ReliabilityContract.SCALE_PROPERTY, "1").trim();
        int n = Integer.parseInt(value);
        if (n < 1) {
            throw new IllegalArgumentException(ReliabilityContract.SCALE_PROPERTY + " must be >= 1, got " + n);
        }
        return n;
    }

    private static List<String> integrityCheck(Path db) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection c = Sqlite.raw(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("PRAGMA integrity_check")) {
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
        }
        return rows;
    }

    static String value(String pk, String sk) {
        return pk + "/" + sk + "/" + "v".repeat(200);
    }

    /**
     * Opens the file, prints {@code ready}, then puts keys {@code k0000000, k0000001, …} into
     * partition {@code args[1]} with {@value #IN_FLIGHT} in flight, printing {@code ack <key>}
     * once each future has completed, until killed (or after {@code args[2]} puts, or once the
     * parent stops reading).
     */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            PrintStream out = System.out;
            String pk = args[1];
            int max = Integer.parseInt(args[2]);
            // Never closed on the way that matters: the parent kills this process.
            try (Storage storage = Sqlite.open(Path.of(args[0]))) {
                Store<String> s = Sqlite.strings(storage);
                out.println("ready");
                out.flush();
                Semaphore inFlight = new Semaphore(IN_FLIGHT);
                for (int i = 0; i < max && !out.checkError(); i++) {
                    inFlight.acquire();
                    String sk = String.format("k%07d", i);
                    s.put(Item.of(pk, sk, value(pk, sk))).whenComplete((item, failure) -> {
                        synchronized (out) {
                            out.println(failure == null ? "ack " + sk : "failed " + sk + ": " + failure);
                            out.flush();
                        }
                        inFlight.release();
                    });
                }
                inFlight.acquire(IN_FLIGHT);
            }
            out.println("done without being killed");
        }
    }
}
