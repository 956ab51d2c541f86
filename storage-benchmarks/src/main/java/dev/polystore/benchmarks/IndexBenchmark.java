package dev.polystore.benchmarks;

import dev.polystore.IndexQuery;
import dev.polystore.IndexSpec;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import dev.polystore.StoreOptions;
import dev.polystore.spi.ForwardingStorageBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.sqlite.SQLiteConfig;

/**
 * Secondary indexes on SQLite, one caller: a put that moves every index key of an existing item,
 * a put that keeps them (another body), and an index query of 20 items — Polystore with the native
 * entries ({@code native}: an entry table with the SQL index, rows naming the item), Polystore with
 * the portable entries ({@code portable}: entry items copying the item, the accelerator hidden by a
 * layer), and hand-written sqlite-jdbc ({@code raw}) doing the same work: in one
 * {@code BEGIN IMMEDIATE} transaction, read the item's old keys, upsert the item row, delete the
 * index rows it loses and insert those it gains (an index table {@code (idx, key, item_pk)}
 * {@code WITHOUT ROWID}); a query joins the index rows to the item rows. Same pragmas, same file
 * layout, one {@code synchronous = FULL} commit per put on every side, a ~1 KB body per item.
 *
 * <p>The bytes each put makes SQLite write are measured by {@link #main}, not here.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms512m", "-Xmx512m"})
public class IndexBenchmark {
    /** Items in the store. */
    static final int ITEMS = 2_000;
    /** Distinct keys per index: about 40 items under each. */
    static final int KEYS = 50;

    @Param({"native", "portable", "raw"})
    public String impl;

    /** Indexes on the store. */
    @Param({"1", "3"})
    public int k;

    Path dir;
    Contender contender;
    final SplittableRandom random = new SplittableRandom(7);
    List<List<String>> current;

    /** The value stored: one key per index, and a body no index reads. */
    public record Rec(List<String> keys, String body) {
    }

    /** What each side does. */
    interface Contender extends AutoCloseable {
        void put(String pk, List<String> keys, String body);

        int query(int index, String key, int limit);

        @Override
        void close();
    }

    @Setup(Level.Trial)
    public void setUp() {
        dir = tempDir();
        contender = open(impl, k, dir.resolve("bench.db"));
        current = new ArrayList<>();
        for (int i = 0; i < ITEMS; i++) {
            List<String> keys = randomKeys(random, k);
            current.add(keys);
            contender.put(pk(i), keys, body(random));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        contender.close();
        Targets.deleteRecursively(dir);
    }

    static Path tempDir() {
        try {
            return Files.createTempDirectory(Path.of(System.getProperty("bench.tmp", System.getProperty("java.io.tmpdir"))),
                    "ixn-bench-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String pk(int i) {
        return String.format("item-%06d", i);
    }

    static List<String> randomKeys(SplittableRandom random, int k) {
        List<String> keys = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            keys.add("v" + random.nextInt(KEYS));
        }
        return keys;
    }

    static String body(SplittableRandom random) {
        StringBuilder b = new StringBuilder(1024);
        while (b.length() < 1000) {
            b.append(Long.toHexString(random.nextLong()));
        }
        return b.toString();
    }

    static Contender open(String impl, int k, Path file) {
        return switch (impl) {
            case "native" -> new PolystoreContender(file, k, false);
            case "portable" -> new PolystoreContender(file, k, true);
            case "raw" -> new RawContender(file, k);
            default -> throw new IllegalArgumentException("impl must be native, portable or raw, not " + impl);
        };
    }

    /** A put of an existing item that moves every index key. */
    @Benchmark
    public void putMovingKeys() {
        int i = random.nextInt(ITEMS);
        List<String> keys = randomKeys(random, k);
        current.set(i, keys);
        contender.put(pk(i), keys, body(random));
    }

    /** A put of an existing item whose index keys stay (only the body changes). */
    @Benchmark
    public void putSameKeys() {
        int i = random.nextInt(ITEMS);
        contender.put(pk(i), current.get(i), body(random));
    }

    /** The first 20 items of one key of one index. */
    @Benchmark
    public int query20() {
        return contender.query(random.nextInt(k), "v" + random.nextInt(KEYS), 20);
    }

    // ------------------------------------------------------------------ contenders

    /** Polystore on SQLite, with native entries or (the accelerator hidden by a layer) portable ones. */
    static final class PolystoreContender implements Contender {
        private final Storage storage;
        private final Store<Rec> store;

        PolystoreContender(Path file, int k, boolean portable) {
            StorageConfig config = StorageConfig.builder().backend("sqlite").set("sqlite.path", file.toString()).build();
            storage = portable ? StoreFactory.open(config, b -> new ForwardingStorageBackend(b) {
            }) : StoreFactory.open(config);
            List<IndexSpec<Rec>> specs = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                int field = i;
                specs.add(IndexSpec.of("f" + i, (Rec r) -> r.keys().get(field)));
            }
            store = storage.store("items", Rec.class, StoreOptions.indexes(specs));
        }

        @Override
        public void put(String pk, List<String> keys, String body) {
            store.put(Item.of(pk, "0", new Rec(keys, body))).join();
        }

        @Override
        public int query(int index, String key, int limit) {
            return store.index("f" + index).query(IndexQuery.key(key).limit(limit)).join().items().size();
        }

        @Override
        public void close() {
            storage.close();
        }
    }

    /**
     * Hand-written sqlite-jdbc: the item row (with its index keys in a column, so a put reads them
     * without decoding the JSON) and one row per index key in an index table, in one transaction.
     */
    static final class RawContender implements Contender {
        private final Connection c;
        private final int k;
        private final PreparedStatement readKeys;
        private final PreparedStatement upsert;
        private final PreparedStatement deleteEntry;
        private final PreparedStatement insertEntry;
        private final PreparedStatement query;
        private final com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();

        RawContender(Path file, int k) {
            this.k = k;
            try {
                SQLiteConfig config = new SQLiteConfig();
                config.setBusyTimeout(5000);
                c = config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
                exec("PRAGMA page_size = 4096");
                exec("PRAGMA journal_mode = WAL");
                exec("PRAGMA synchronous = FULL");
                exec("PRAGMA cache_size = -8192");
                exec("PRAGMA journal_size_limit = " + (64L * 1024 * 1024));
                exec("CREATE TABLE IF NOT EXISTS store_items (pk TEXT NOT NULL, sk TEXT NOT NULL, version INTEGER NOT NULL, "
                        + "expires_at INTEGER, index_keys TEXT NOT NULL, payload BLOB NOT NULL, PRIMARY KEY (pk, sk))");
                exec("CREATE TABLE IF NOT EXISTS store_items_ix (idx INTEGER NOT NULL, key TEXT NOT NULL, "
                        + "item_pk TEXT NOT NULL, item_sk TEXT NOT NULL, PRIMARY KEY (idx, key, item_pk, item_sk)) WITHOUT ROWID");
                c.setAutoCommit(true);
                readKeys = c.prepareStatement("SELECT index_keys FROM store_items WHERE pk = ? AND sk = ?");
                upsert = c.prepareStatement("INSERT INTO store_items (pk, sk, version, expires_at, index_keys, payload) "
                        + "VALUES (?, ?, 1, NULL, ?, ?) ON CONFLICT (pk, sk) DO UPDATE SET version = version + 1, "
                        + "index_keys = excluded.index_keys, payload = excluded.payload");
                deleteEntry = c.prepareStatement("DELETE FROM store_items_ix WHERE idx = ? AND key = ? AND item_pk = ? "
                        + "AND item_sk = ?");
                insertEntry = c.prepareStatement("INSERT OR IGNORE INTO store_items_ix (idx, key, item_pk, item_sk) "
                        + "VALUES (?, ?, ?, ?)");
                query = c.prepareStatement("SELECT t.pk, t.sk, t.version, t.payload FROM store_items_ix AS e JOIN "
                        + "store_items AS t ON t.pk = e.item_pk AND t.sk = e.item_sk WHERE e.idx = ? AND e.key = ? "
                        + "AND (t.expires_at IS NULL OR t.expires_at > ?) ORDER BY e.item_pk, e.item_sk LIMIT ?");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        private void exec(String sql) throws SQLException {
            try (Statement s = c.createStatement()) {
                s.execute(sql);
            }
        }

        @Override
        public synchronized void put(String pk, List<String> keys, String body) {
            try {
                byte[] payload = json.writeValueAsBytes(new Rec(keys, body));
                exec("BEGIN IMMEDIATE");
                try {
                    String[] old = null;
                    readKeys.setString(1, pk);
                    readKeys.setString(2, "0");
                    try (ResultSet rs = readKeys.executeQuery()) {
                        if (rs.next()) {
                            old = rs.getString(1).split("\u0001", -1);
                        }
                    }
                    upsert.setString(1, pk);
                    upsert.setString(2, "0");
                    upsert.setString(3, String.join("\u0001", keys));
                    upsert.setBytes(4, payload);
                    upsert.executeUpdate();
                    for (int i = 0; i < k; i++) {
                        if (old != null && old[i].equals(keys.get(i))) {
                            continue;
                        }
                        if (old != null) {
                            deleteEntry.setInt(1, i);
                            deleteEntry.setString(2, old[i]);
                            deleteEntry.setString(3, pk);
                            deleteEntry.setString(4, "0");
                            deleteEntry.executeUpdate();
                        }
                        insertEntry.setInt(1, i);
                        insertEntry.setString(2, keys.get(i));
                        insertEntry.setString(3, pk);
                        insertEntry.setString(4, "0");
                        insertEntry.executeUpdate();
                    }
                    exec("COMMIT");
                } catch (SQLException | RuntimeException e) {
                    exec("ROLLBACK");
                    throw e;
                }
            } catch (SQLException | IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public synchronized int query(int index, String key, int limit) {
            try {
                query.setInt(1, index);
                query.setString(2, key);
                query.setLong(3, System.currentTimeMillis() / 1000);
                query.setInt(4, limit);
                int n = 0;
                try (ResultSet rs = query.executeQuery()) {
                    while (rs.next()) {
                        json.readValue(rs.getBytes(4), Rec.class);
                        n++;
                    }
                }
                return n;
            } catch (SQLException | IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public synchronized void close() {
            try {
                c.close();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    // ------------------------------------------------------------------ bytes written

    /** {@code wchar} of /proc/self/io: bytes this process has passed to write(2) so far. */
    static long bytesWrittenByProcess() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/io"))) {
                if (line.startsWith("wchar:")) {
                    return Long.parseLong(line.substring(6).trim());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no wchar in /proc/self/io");
    }

    static long sizeOf(Path dir) throws IOException {
        long total = 0;
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                total += Files.size(p);
            }
        }
        return total;
    }

    /**
     * Bytes SQLite writes per put (from /proc/self/io, so WAL frames and checkpoints included) and
     * the file size per item, for each contender and k: loads {@value #ITEMS} items, then 2,000
     * puts that move every key and 2,000 that keep them. Prints one line per case.
     */
    public static void main(String[] args) throws Exception {
        int puts = 2_000;
        System.out.println("impl      k  load B/put  moving B/put  same-keys B/put  file B/item");
        for (int k : new int[] {1, 3, 10}) {
            for (String impl : new String[] {"native", "portable", "raw"}) {
                Path dir = tempDir();
                SplittableRandom random = new SplittableRandom(7);
                List<List<String>> current = new ArrayList<>();
                try (Contender c = open(impl, k, dir.resolve("bench.db"))) {
                    long w0 = bytesWrittenByProcess();
                    for (int i = 0; i < ITEMS; i++) {
                        List<String> keys = randomKeys(random, k);
                        current.add(keys);
                        c.put(pk(i), keys, body(random));
                    }
                    long w1 = bytesWrittenByProcess();
                    for (int n = 0; n < puts; n++) {
                        int i = random.nextInt(ITEMS);
                        List<String> keys = randomKeys(random, k);
                        current.set(i, keys);
                        c.put(pk(i), keys, body(random));
                    }
                    long w2 = bytesWrittenByProcess();
                    for (int n = 0; n < puts; n++) {
                        int i = random.nextInt(ITEMS);
                        c.put(pk(i), current.get(i), body(random));
                    }
                    long w3 = bytesWrittenByProcess();
                    c.close();
                    System.out.printf("%-9s %2d  %10d  %12d  %15d  %11d%n", impl, k, (w1 - w0) / ITEMS,
                            (w2 - w1) / puts, (w3 - w2) / puts, sizeOf(dir) / ITEMS);
                } finally {
                    Targets.deleteRecursively(dir);
                }
            }
        }
    }
}
