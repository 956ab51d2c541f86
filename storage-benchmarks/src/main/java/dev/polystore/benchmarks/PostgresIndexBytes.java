package dev.polystore.benchmarks;

import dev.polystore.IndexSpec;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import dev.polystore.StoreOptions;
import dev.polystore.spi.ForwardingStorageBackend;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * WAL bytes PostgreSQL generates per put with k secondary indexes, native entries
 * ({@code PostgresIndexes}) against portable ones (the accelerator hidden by a layer): the same
 * items and puts as {@link IndexBenchmark#main}, on an embedded server with {@code fsync = on};
 * WAL measured as the difference of {@code pg_current_wal_insert_lsn()}, table bytes with
 * {@code pg_total_relation_size} of the item and entry tables. Prints one line per case.
 */
public final class PostgresIndexBytes {
    private PostgresIndexBytes() {
    }

    public static void main(String[] args) throws Exception {
        int puts = 2_000;
        try (PostgresBenchServer server = PostgresBenchServer.start();
             Connection admin = DriverManager.getConnection(server.jdbcUrl(), server.user(), "")) {
            System.out.println("impl      k  load WAL B/put  moving WAL B/put  same-keys WAL B/put  table B/item");
            for (int k : new int[] {1, 3, 10}) {
                for (String impl : new String[] {"native", "portable"}) {
                    String prefix = "ix" + k + impl.charAt(0) + "_";
                    StorageConfig config = StorageConfig.builder().backend("postgres")
                            .set("postgres.url", server.jdbcUrl()).set("postgres.user", server.user())
                            .set("postgres.table_prefix", prefix).set("postgres.create_tables", true).build();
                    try (Storage storage = impl.equals("native") ? StoreFactory.open(config)
                            : StoreFactory.open(config, b -> new ForwardingStorageBackend(b) {
                            })) {
                        List<IndexSpec<IndexBenchmark.Rec>> specs = new ArrayList<>();
                        for (int i = 0; i < k; i++) {
                            int field = i;
                            specs.add(IndexSpec.of("f" + i, (IndexBenchmark.Rec r) -> r.keys().get(field)));
                        }
                        Store<IndexBenchmark.Rec> store = storage.store("items", IndexBenchmark.Rec.class,
                                StoreOptions.indexes(specs));
                        SplittableRandom random = new SplittableRandom(7);
                        List<List<String>> current = new ArrayList<>();
                        long w0 = wal(admin);
                        for (int i = 0; i < IndexBenchmark.ITEMS; i++) {
                            List<String> keys = IndexBenchmark.randomKeys(random, k);
                            current.add(keys);
                            store.put(Item.of(IndexBenchmark.pk(i), "0", new IndexBenchmark.Rec(keys,
                                    IndexBenchmark.body(random)))).join();
                        }
                        long w1 = wal(admin);
                        for (int n = 0; n < puts; n++) {
                            int i = random.nextInt(IndexBenchmark.ITEMS);
                            List<String> keys = IndexBenchmark.randomKeys(random, k);
                            current.set(i, keys);
                            store.put(Item.of(IndexBenchmark.pk(i), "0", new IndexBenchmark.Rec(keys,
                                    IndexBenchmark.body(random)))).join();
                        }
                        long w2 = wal(admin);
                        for (int n = 0; n < puts; n++) {
                            int i = random.nextInt(IndexBenchmark.ITEMS);
                            store.put(Item.of(IndexBenchmark.pk(i), "0", new IndexBenchmark.Rec(current.get(i),
                                    IndexBenchmark.body(random)))).join();
                        }
                        long w3 = wal(admin);
                        long bytes = size(admin, prefix + "items") + size(admin, prefix + "items_ix");
                        System.out.printf("%-9s %2d  %14d  %16d  %19d  %12d%n", impl, k, (w1 - w0) / IndexBenchmark.ITEMS,
                                (w2 - w1) / puts, (w3 - w2) / puts, bytes / IndexBenchmark.ITEMS);
                    }
                }
            }
        }
    }

    private static long wal(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long size(Connection c, String table) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT coalesce(pg_total_relation_size(to_regclass('public.\"" + table
                     + "\"')), 0)")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
