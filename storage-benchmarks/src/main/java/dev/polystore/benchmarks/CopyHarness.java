package dev.polystore.benchmarks;

import dev.polystore.Storage;
import dev.polystore.cli.Copier;
import dev.polystore.cli.CopyOptions;
import dev.polystore.cli.ExportFile;
import dev.polystore.cli.JobSummary;
import dev.polystore.migration.Migration;
import dev.polystore.spi.ImportMode;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * {@code polystore copy}'s speed against the target's fastest raw loader, in one run: a SQLite
 * source of {@code items} items (1,000 partitions, random payloads of {@code payload} bytes,
 * version 1) is copied by {@link Copier} (what the command runs: 4 segments, pages of 1,000,
 * checkpoints after every page) to a fresh SQLite file and to a fresh DynamoDB Local, and loaded
 * by the raw loaders reading the same source with plain JDBC: for SQLite one transaction of
 * batched INSERTs through one prepared statement; for DynamoDB {@code BatchWriteItem}s of 25,
 * {@value #DYNAMODB_IN_FLIGHT} in flight. DynamoDB Local runs in its own JVM (a fresh one per
 * contender, {@code -inMemory}), so the heap this JVM is given ({@code -Xmx}) bounds the copy.
 *
 * <pre>
 * java -Xmx256m -cp storage-benchmarks/target/benchmarks.jar dev.polystore.benchmarks.CopyHarness 1000000 256 sqlite,export,dynamodb
 * </pre>
 */
public final class CopyHarness {
    static final int DYNAMODB_IN_FLIGHT = 32;
    static final int RAW_CHUNK = 10_000;

    private CopyHarness() {
    }

    public static void main(String[] args) throws Exception {
        int items = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int payload = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        List<String> targets = List.of((args.length > 2 ? args[2] : "sqlite,export,dynamodb").split(","));
        Path dir = Targets.tempDir("bench-copy-");
        try {
            Path source = dir.resolve("source.db");
            long t0 = System.nanoTime();
            fill(source, items, payload);
            System.out.printf("source: %d items of %d bytes in SQLite, written in %.1f s; max heap %s%n", items, payload,
                    (System.nanoTime() - t0) / 1e9, HeapWatch.mib(HeapWatch.maxHeap()));
            if (targets.contains("sqlite")) {
                report("sqlite raw (one transaction, batched INSERT)", items, rawSqlite(source, dir.resolve("raw.db")));
                report("sqlite polystore copy (if-newer)", items, copy(source, PolystoreTarget.sqlite(dir.resolve("copy.db")),
                        ImportMode.IF_NEWER, dir.resolve("cp-sqlite")));
                report("sqlite polystore copy --mode overwrite", items, copy(source,
                        PolystoreTarget.sqlite(dir.resolve("copy2.db")), ImportMode.OVERWRITE, dir.resolve("cp-sqlite2")));
            }
            if (targets.contains("export")) {
                Path file = dir.resolve("export.jsonl.gz");
                report("sqlite polystore export (gzip)", items, export(source, file));
                System.out.printf("  export file: %s%n", HeapWatch.mib(java.nio.file.Files.size(file)));
                report("sqlite polystore import (if-newer)", items, importInto(file, dir.resolve("imported.db")));
            }
            if (targets.contains("dynamodb")) {
                try (DynamoDbLocalProcess server = DynamoDbLocalProcess.start(java.nio.file.Files.createDirectories(dir.resolve("ddb1")), "-Xmx2g", true)) {
                    report("dynamodb raw (BatchWriteItem of 25, " + DYNAMODB_IN_FLIGHT + " in flight)", items,
                            rawDynamoDb(source, server.endpoint()));
                }
                try (DynamoDbLocalProcess server = DynamoDbLocalProcess.start(java.nio.file.Files.createDirectories(dir.resolve("ddb2")), "-Xmx2g", true)) {
                    report("dynamodb polystore copy --mode overwrite", items, copy(source,
                            PolystoreTarget.dynamodb(server.endpoint()), ImportMode.OVERWRITE, dir.resolve("cp-ddb2")));
                }
                if (targets.contains("if-newer")) {
                    try (DynamoDbLocalProcess server = DynamoDbLocalProcess.start(java.nio.file.Files.createDirectories(dir.resolve("ddb3")), "-Xmx2g", true)) {
                        report("dynamodb polystore copy (if-newer)", items, copy(source,
                                PolystoreTarget.dynamodb(server.endpoint()), ImportMode.IF_NEWER, dir.resolve("cp-ddb3")));
                    }
                }
            }
        } finally {
            Targets.deleteRecursively(dir);
        }
    }

    record Run(double seconds, long peakSampled, String note) {
    }

    private static void report(String how, int items, Run r) {
        System.out.printf("%-58s items=%d time=%.1f s throughput=%.0f items/s peak heap sampled=%s%s%n", how, items,
                r.seconds, items / r.seconds, HeapWatch.mib(r.peakSampled), r.note);
    }

    /** The source: Polystore's SQLite layout for store {@value PolystoreTarget#STORE}, written with JDBC. */
    static void fill(Path file, int items, int payload) throws SQLException {
        PolystoreTarget.sqlite(file).close();
        SplittableRandom random = new SplittableRandom(7);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath())) {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode = WAL");
            }
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO store_items (pk, sk, version, expires_at, payload) VALUES (?, ?, 1, NULL, ?)")) {
                for (int i = 0; i < items; i++) {
                    byte[] p = new byte[payload]; // a new array per item: the driver may keep it until the batch runs
                    for (int j = 0; j < p.length; j++) {
                        p[j] = (byte) random.nextInt(256);
                    }
                    ps.setString(1, "p" + (i % 1000));
                    ps.setString(2, String.format("%09d", i));
                    ps.setBytes(3, p);
                    ps.addBatch();
                    if (i % RAW_CHUNK == RAW_CHUNK - 1) {
                        ps.executeBatch();
                    }
                }
                ps.executeBatch();
            }
            c.commit();
        }
    }

    static Run copy(Path source, PolystoreTarget target, ImportMode mode, Path checkpoints) {
        try (PolystoreTarget src = PolystoreTarget.sqlite(source); target; HeapWatch heap = new HeapWatch()) {
            Storage s = src.storage();
            Storage t = target.storage();
            long start = System.nanoTime();
            JobSummary summary = new Copier(Migration.of(s), Migration.of(t), "bench").copy(CopyOptions.defaults()
                    .withSegments(4).withPageSize(1000).withMode(mode).withCheckpointDir(checkpoints));
            double secs = (System.nanoTime() - start) / 1e9;
            if (!summary.clean()) {
                throw new IllegalStateException("the copy was not clean: " + summary);
            }
            return new Run(secs, heap.peakSampled(), " written=" + summary.total().written());
        }
    }

    static Run export(Path source, Path file) {
        try (PolystoreTarget src = PolystoreTarget.sqlite(source); HeapWatch heap = new HeapWatch()) {
            long start = System.nanoTime();
            ExportFile.Contents c = ExportFile.export(Migration.of(src.storage()), List.of(), file, true, 4, 1000);
            return new Run((System.nanoTime() - start) / 1e9, heap.peakSampled(), " exported=" + c.total());
        }
    }

    static Run importInto(Path file, Path target) {
        try (PolystoreTarget t = PolystoreTarget.sqlite(target); HeapWatch heap = new HeapWatch()) {
            long start = System.nanoTime();
            JobSummary summary = ExportFile.importFile(Migration.of(t.storage()), file, List.of(), ImportMode.IF_NEWER,
                    1000, null);
            double secs = (System.nanoTime() - start) / 1e9;
            if (!summary.clean()) {
                throw new IllegalStateException("the import was not clean: " + summary);
            }
            return new Run(secs, heap.peakSampled(), " written=" + summary.total().written()
                    + " (includes checking the whole file first)");
        }
    }

    static Run rawSqlite(Path source, Path target) throws SQLException {
        PolystoreTarget.sqlite(target).close();
        try (HeapWatch heap = new HeapWatch();
                Connection in = DriverManager.getConnection("jdbc:sqlite:" + source.toAbsolutePath());
                Connection out = DriverManager.getConnection("jdbc:sqlite:" + target.toAbsolutePath())) {
            try (Statement s = out.createStatement()) {
                s.execute("PRAGMA journal_mode = WAL");
                s.execute("PRAGMA synchronous = FULL");
            }
            long start = System.nanoTime();
            out.setAutoCommit(false);
            long n = 0;
            try (Statement s = in.createStatement();
                    ResultSet rs = s.executeQuery("SELECT pk, sk, version, expires_at, payload FROM store_items");
                    PreparedStatement ps = out.prepareStatement(
                            "INSERT INTO store_items (pk, sk, version, expires_at, payload) VALUES (?, ?, ?, ?, ?)")) {
                while (rs.next()) {
                    ps.setString(1, rs.getString(1));
                    ps.setString(2, rs.getString(2));
                    ps.setLong(3, rs.getLong(3));
                    ps.setObject(4, rs.getObject(4));
                    ps.setBytes(5, rs.getBytes(5));
                    ps.addBatch();
                    if (++n % RAW_CHUNK == 0) {
                        ps.executeBatch();
                    }
                }
                ps.executeBatch();
            }
            out.commit();
            return new Run((System.nanoTime() - start) / 1e9, heap.peakSampled(), "");
        }
    }

    static Run rawDynamoDb(Path source, String endpoint) throws SQLException {
        PolystoreTarget.dynamodb(endpoint).close(); // creates the table (Polystore's layout)
        try (HeapWatch heap = new HeapWatch(); RawDynamoDbTarget.Client client = new RawDynamoDbTarget.Client(endpoint);
                Connection in = DriverManager.getConnection("jdbc:sqlite:" + source.toAbsolutePath())) {
            long start = System.nanoTime();
            try (Statement s = in.createStatement();
                    ResultSet rs = s.executeQuery("SELECT pk, sk, version, payload FROM store_items")) {
                List<WriteRequest> chunk = new ArrayList<>(RAW_CHUNK);
                boolean more = true;
                while (more) {
                    chunk.clear();
                    while (chunk.size() < RAW_CHUNK && (more = rs.next())) {
                        Map<String, AttributeValue> item = new java.util.HashMap<>();
                        item.put("pk", AttributeValue.fromS(rs.getString(1)));
                        item.put("sk", AttributeValue.fromS(rs.getString(2)));
                        item.put("v", AttributeValue.fromN(Long.toString(rs.getLong(3))));
                        item.put("p", AttributeValue.fromB(SdkBytes.fromByteArray(rs.getBytes(4))));
                        chunk.add(WriteRequest.builder().putRequest(PutRequest.builder().item(item).build()).build());
                    }
                    List<WriteRequest> all = List.copyOf(chunk);
                    int batches = (all.size() + 24) / 25;
                    Targets.inLanes(batches, DYNAMODB_IN_FLIGHT, b -> RawDynamoDbTarget.batchWrite(client.dynamo,
                            Map.of(StreamingHarness.DYNAMODB_TABLE, all.subList(b * 25, Math.min(all.size(), b * 25 + 25)))))
                            .join();
                }
            }
            return new Run((System.nanoTime() - start) / 1e9, heap.peakSampled(), "");
        }
    }
}
