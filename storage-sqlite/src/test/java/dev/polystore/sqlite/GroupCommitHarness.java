package dev.polystore.sqlite;

import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Prints how many puts per second the backend commits with and without group commit. A quick
 * figure for docs/sqlite.md, not a benchmark (JMH is for those) and not a test: it asserts
 * nothing. Usage: {@code GroupCommitHarness [puts] [payloadBytes] [synchronous]}.
 */
public final class GroupCommitHarness {
    private GroupCommitHarness() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int payload = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        String sync = args.length > 2 ? args[2] : "FULL";
        String value = "x".repeat(payload);
        Path dir = Files.createTempDirectory("polystore-group-commit");
        System.out.printf("%d puts of %d-byte values, synchronous=%s, in %s%n", n, payload, sync, dir);

        // Warm up the JIT and the file system once.
        run(dir.resolve("warm.db"), Map.of("synchronous", sync), Math.min(n, 500), value, true);

        double raw = rawAutocommit(dir.resolve("raw.db"), n, value, sync);
        System.out.printf("  plain JDBC, one autocommit INSERT at a time     : %8.0f puts/s%n", raw);
        double sequential = run(dir.resolve("seq.db"), Map.of("synchronous", sync), n, value, false);
        System.out.printf("  backend, one put at a time (await each)         : %8.0f puts/s%n", sequential);
        double ungrouped = run(dir.resolve("one.db"), Map.of("synchronous", sync, "group_commit_max_ops", "1"), n, value, true);
        System.out.printf("  backend, %d concurrent puts, group size 1     : %8.0f puts/s%n", n, ungrouped);
        double grouped = run(dir.resolve("group.db"), Map.of("synchronous", sync), n, value, true);
        System.out.printf("  backend, %d concurrent puts, group commit     : %8.0f puts/s (%.1fx group size 1)%n",
                n, grouped, grouped / ungrouped);
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static double run(Path db, Map<String, String> settings, int n, String value, boolean concurrent) {
        try (Storage storage = Sqlite.open(db, settings)) {
            Store<String> s = Sqlite.strings(storage);
            Sqlite.await(s.put(Item.of("warm", "up", value)));
            long start = System.nanoTime();
            if (concurrent) {
                List<CompletableFuture<?>> puts = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    puts.add(s.put(Item.of("p", "k" + i, value)));
                }
                puts.forEach(CompletableFuture::join);
            } else {
                for (int i = 0; i < n; i++) {
                    s.put(Item.of("p", "k" + i, value)).join();
                }
            }
            return n / ((System.nanoTime() - start) / 1e9);
        }
    }

    private static double rawAutocommit(Path db, int n, String value, String sync) throws Exception {
        try (Connection c = Sqlite.raw(db); Statement st = c.createStatement()) {
            st.execute("PRAGMA journal_mode = WAL");
            st.execute("PRAGMA synchronous = " + sync);
            st.execute(Sql.createItemTable("kit"));
            try (PreparedStatement ps = c.prepareStatement(Sql.upsert("kit"))) {
                long start = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    ps.setString(1, "p");
                    ps.setString(2, "k" + i);
                    ps.setLong(3, 1);
                    ps.setNull(4, java.sql.Types.INTEGER);
                    ps.setBytes(5, value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    ps.executeUpdate();
                }
                return n / ((System.nanoTime() - start) / 1e9);
            }
        }
    }
}
