package dev.polystore.benchmarks;

import dev.polystore.Codec;
import dev.polystore.Direction;
import dev.polystore.Item;
import dev.polystore.KeyRange;
import dev.polystore.Page;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import dev.polystore.internal.Cursors;
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
 * What sealed cursors cost: sealing (AES-256-GCM with a fresh nonce) and opening (decoding,
 * authenticating, validating the key) one cursor, for a short and a maximal sort key, and, for
 * scale, resuming a 10-item page on the memory backend, which opens one cursor and seals the next.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CursorBenchmark {
    private static final KeyRange RANGE = KeyRange.prefix("order#");

    /** Length of the sort key in the cursor, in bytes (1024 is the portable maximum). */
    @Param({"16", "1024"})
    public int skBytes;

    Cursors cursors;
    String sk;
    String cursor;
    Storage storage;
    Store<String> store;
    Query page;
    String pageCursor;

    @Setup(Level.Trial)
    public void setUp() {
        cursors = Cursors.withSecret("benchmark cursor secret, 32 bytes or more");
        sk = "order#" + "x".repeat(skBytes - "order#".length());
        cursor = cursors.encode("orders", "user#42", RANGE, Direction.ASCENDING, sk);
        storage = StoreFactory.open(StorageConfig.builder().backend("memory").build());
        store = storage.store("orders", Codec.utf8());
        for (int i = 0; i < 30; i++) {
            store.put(Item.of("user#42", String.format("order#%05d", i), "v" + i)).join();
        }
        page = Query.partition("user#42").prefix("order#").limit(10);
        pageCursor = store.query(page).join().cursor().orElseThrow();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        storage.close();
    }

    @Benchmark
    public String seal() {
        return cursors.encode("orders", "user#42", RANGE, Direction.ASCENDING, sk);
    }

    @Benchmark
    public String open() {
        return cursors.decode(cursor, "orders", "user#42", RANGE, Direction.ASCENDING);
    }

    @Benchmark
    public Page<String> resumePage() {
        return store.query(page.after(pageCursor)).join();
    }
}
