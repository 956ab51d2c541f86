package dev.polystore.benchmarks;

import dev.polystore.Query;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Streams one partition of {@code items} 1 KB items through {@code Store.forEach} (pages of
 * {@code pageSize}) on SQLite, then through a plain sqlite-jdbc result set for comparison, and
 * reports throughput and peak heap. Meant to run with a small heap:
 *
 * <pre>java -Xmx128m -cp storage-benchmarks/target/benchmarks.jar dev.polystore.benchmarks.StreamingHarness 1000000 1000</pre>
 *
 * The partition is written with plain JDBC into the table Polystore created (one transaction,
 * the same layout), which is much faster than any durable per-item path and needs little heap.
 */
public final class StreamingHarness {
    static final String PK = "stream";

    /** What one streaming pass did. */
    public record Pass(String how, long items, long bytes, double seconds, long peakSampled, long peakPools) {
        @Override
        public String toString() {
            return String.format("%-22s items=%d bytes=%d time=%.2f s throughput=%.0f items/s "
                            + "peak heap sampled=%s pools=%s (max %s)", how, items, bytes, seconds, items / seconds,
                    HeapWatch.mib(peakSampled), HeapWatch.mib(peakPools), HeapWatch.mib(HeapWatch.maxHeap()));
        }
    }

    private StreamingHarness() {
    }

    public static void main(String[] args) throws SQLException {
        int items = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int pageSize = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        Path dir = Targets.tempDir("bench-stream-");
        try {
            long start = System.nanoTime();
            fill(dir.resolve("bench.db"), items);
            System.out.printf("loaded %d items in %.1f s%n", items, (System.nanoTime() - start) / 1e9);
            System.out.println(polystore(dir.resolve("bench.db"), pageSize));
            System.out.println(raw(dir.resolve("bench.db")));
        } finally {
            Targets.deleteRecursively(dir);
        }
    }

    /** Creates the store with Polystore, then writes {@code items} items of partition {@value #PK} into it. */
    public static void fill(Path file, int items) throws SQLException {
        PolystoreTarget.sqlite(file).close();
        Payloads payloads = new Payloads(7);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath())) {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode = WAL");
                s.execute("PRAGMA synchronous = FULL");
            }
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO store_items (pk, sk, version, expires_at, payload) VALUES (?, ?, 1, NULL, ?)")) {
                for (int i = 0; i < items; i++) {
                    ps.setString(1, PK);
                    ps.setString(2, String.format("%09d", i));
                    ps.setBytes(3, payloads.next());
                    ps.addBatch();
                    if (i % 10_000 == 9_999) {
                        ps.executeBatch();
                    }
                }
                ps.executeBatch();
            }
            c.commit();
        }
    }

    /** Streams the partition through {@code Store.forEach}. */
    public static Pass polystore(Path file, int pageSize) {
        try (PolystoreTarget target = PolystoreTarget.sqlite(file); HeapWatch heap = new HeapWatch()) {
            AtomicLong bytes = new AtomicLong();
            long start = System.nanoTime();
            long n = target.store().forEach(Query.partition(PK).limit(pageSize),
                    item -> bytes.addAndGet(item.value().length)).join();
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Pass("polystore forEach/" + pageSize, n, bytes.get(), seconds, heap.peakSampled(), heap.peakPools());
        }
    }

    /** Streams the partition through one sqlite-jdbc result set. */
    public static Pass raw(Path file) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
             HeapWatch heap = new HeapWatch()) {
            long n = 0;
            long bytes = 0;
            long start = System.nanoTime();
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT sk, version, expires_at, payload FROM store_items WHERE pk = ? ORDER BY sk")) {
                ps.setString(1, PK);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rs.getString(1);
                        rs.getLong(2);
                        rs.getLong(3);
                        bytes += rs.getBytes(4).length;
                        n++;
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new Pass("raw jdbc result set", n, bytes, seconds, heap.peakSampled(), heap.peakPools());
        }
    }
}
