package dev.polystore.benchmarks;

import java.util.List;
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

/**
 * Bulk load of {@code items} 1 KB items into an empty PostgreSQL table, one shot per load (the
 * table is truncated before each): Polystore's {@code Store.batchPut} (split by the API into calls
 * of 500, up to 8 in flight; each a probe of its keys and, all being new, a {@code COPY} in one
 * transaction) with the defaults, with {@code run_on_caller = false}, and with
 * {@code batch_copy = false} ({@code polystore-upsert}: each call one
 * {@code INSERT … SELECT … FROM unnest(…) ON CONFLICT …} statement), against raw pgjdbc upserting
 * everything in one transaction (JDBC batches of 1,000 of one prepared upsert) and raw
 * {@code COPY … FROM STDIN (FORMAT binary)}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class PostgresBulkLoadBenchmark {
    /** {@code raw-copy}: the raw target's {@link RawPostgresTarget#copy}. */
    @Param({Targets.POLYSTORE, Targets.POLYSTORE_POOLED, Targets.POLYSTORE_UPSERT, Targets.RAW, "raw-copy"})
    public String impl;

    @Param("100000")
    public int items;

    List<Entry> data;
    PostgresBenchServer server;
    Target target;

    @Setup(Level.Trial)
    public void setUp() {
        data = Targets.dataset(items, 0, new Payloads(5));
        server = PostgresBenchServer.start();
        target = Targets.postgres(impl.equals("raw-copy") ? Targets.RAW : impl, server.jdbcUrl(), server.user());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        target.close();
        server.close();
    }

    /** Empties the contender's table before each shot. */
    @Setup(Level.Invocation)
    public void empty() {
        if (target instanceof RawPostgresTarget raw) {
            raw.truncate();
        } else {
            truncate("bench_items", "benchp_items", "benchu_items");
        }
    }

    private void truncate(String... tables) {
        try (java.sql.Connection c = server.server().connect(PostgresBenchServer.DATABASE);
             java.sql.Statement s = c.createStatement()) {
            for (String t : tables) {
                s.execute("TRUNCATE " + t);
            }
        } catch (java.sql.SQLException e) {
            if (!"42P01".equals(e.getSQLState())) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Benchmark
    public void bulkLoad() {
        if (impl.equals("raw-copy")) {
            ((RawPostgresTarget) target).copy(data).join();
        } else {
            target.load(data).join();
        }
    }
}
