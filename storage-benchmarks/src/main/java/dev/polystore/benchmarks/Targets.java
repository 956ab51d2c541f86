package dev.polystore.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.stream.Stream;

/** Opening contenders by their {@code @Param} name, test data, and temporary folders. */
public final class Targets {
    /** Polystore through its API. */
    public static final String POLYSTORE = "polystore";
    /** Polystore on SQLite with {@code read_on_caller = false}: every read on a reader thread, completed on a callback thread. */
    public static final String POLYSTORE_POOLED = "polystore-pooled";
    /** The raw driver doing the same work. */
    public static final String RAW = "raw";
    /** Diagnostic: the raw driver behind the same thread hand-offs as the SQLite backend ({@link HandoffTarget}). */
    public static final String RAW_HOPS = "raw-hops";
    /**
     * DynamoDB: the raw client sending the very request Polystore's unconditional put sends
     * (write token, conditions; {@link RawDynamoDbTarget}): Polystore's own cost, without the cost
     * of what it guarantees.
     */
    public static final String RAW_GUARDED = "raw-guarded";
    /**
     * DynamoDB bulk load the way Polystore's {@code batchPut} does it: single guarded puts, 25 at
     * once per chunk, {@value RawDynamoDbTarget#CHUNKS_IN_FLIGHT} chunks in flight (the
     * {@link #RAW_GUARDED} target's {@code load}).
     */
    public static final String RAW_UPDATES = "raw-updates";

    private Targets() {
    }

    /** {@code polystore} or {@code raw} on a SQLite file {@code bench.db} in {@code dir}. */
    public static Target sqlite(String impl, Path dir) {
        Path file = dir.resolve("bench.db");
        switch (impl) {
            case POLYSTORE:
                return PolystoreTarget.sqlite(file);
            case POLYSTORE_POOLED:
                return PolystoreTarget.sqlite(file, false);
            case RAW:
                return new RawSqliteTarget(file);
            case RAW_HOPS:
                return new HandoffTarget(new RawSqliteTarget(file));
            default:
                throw new IllegalArgumentException("impl must be polystore, polystore-pooled, raw or raw-hops, not " + impl);
        }
    }

    /** {@code polystore}, {@code raw}, {@code raw-guarded} or {@code raw-updates} against DynamoDB (Local) at {@code endpoint}. */
    public static Target dynamodb(String impl, String endpoint) {
        switch (impl) {
            case POLYSTORE:
                return PolystoreTarget.dynamodb(endpoint);
            case RAW:
                return new RawDynamoDbTarget(endpoint, false);
            case RAW_GUARDED:
            case RAW_UPDATES:
                return new RawDynamoDbTarget(endpoint, true);
            default:
                throw new IllegalArgumentException("impl must be polystore, raw, raw-guarded or raw-updates, not " + impl);
        }
    }

    /** PostgreSQL with its calls handed to an executor of one thread per pooled connection ({@link RawPostgresTarget}). */
    public static final String RAW_POOL = "raw-pool";
    /** Polystore on PostgreSQL with {@code batch_copy = false}: every batch chunk one upsert statement. */
    public static final String POLYSTORE_UPSERT = "polystore-upsert";

    /**
     * {@code polystore}, {@code polystore-pooled} ({@code run_on_caller = false}),
     * {@code polystore-upsert} ({@code batch_copy = false}), {@code raw} or {@code raw-pool} against
     * the PostgreSQL at {@code url}; each contender has tables of its own.
     */
    public static Target postgres(String impl, String url, String user) {
        switch (impl) {
            case POLYSTORE:
                return PolystoreTarget.postgres(url, user, "bench_", true);
            case POLYSTORE_POOLED:
                return PolystoreTarget.postgres(url, user, "benchp_", false);
            case POLYSTORE_UPSERT:
                return PolystoreTarget.postgres(url, user, "benchu_", true, false);
            case RAW:
                return new RawPostgresTarget(url, user, "raw_items", false);
            case RAW_POOL:
                return new RawPostgresTarget(url, user, "rawp_items", true);
            default:
                throw new IllegalArgumentException("impl must be polystore, polystore-pooled, polystore-upsert, raw or raw-pool, not " + impl);
        }
    }

    /** Partition key of the {@code i}-th single item ({@code sk = "profile"}). */
    public static String itemPk(int i) {
        return String.format("user#%07d", i);
    }

    /** Sort key of every single item. */
    public static final String ITEM_SK = "profile";

    /** Partition key of the {@code i}-th query partition. */
    public static String listPk(int i) {
        return String.format("list#%05d", i);
    }

    /**
     * {@code count} single items and {@code partitions} query partitions, each holding 100 items
     * with prefix {@code a#} (the ones queried) and 100 with prefix {@code b#} (that a correct
     * prefix query must skip).
     */
    public static List<Entry> dataset(int count, int partitions, Payloads payloads) {
        List<Entry> all = new ArrayList<>(count + partitions * 200);
        for (int i = 0; i < count; i++) {
            all.add(new Entry(itemPk(i), ITEM_SK, payloads.next()));
        }
        for (int p = 0; p < partitions; p++) {
            for (String prefix : new String[] {"a#", "b#"}) {
                for (int i = 0; i < 100; i++) {
                    all.add(new Entry(listPk(p), prefix + String.format("%03d", i), payloads.next()));
                }
            }
        }
        return all;
    }

    /** Loads {@code items} into {@code target}, {@code chunk} at a time. */
    public static void load(Target target, List<Entry> items, int chunk) {
        for (int i = 0; i < items.size(); i += chunk) {
            target.load(items.subList(i, Math.min(items.size(), i + chunk))).join();
        }
    }

    /** Starts {@code op(0)} … {@code op(n - 1)} at once, then waits for all of them: {@code n} operations in flight. */
    public static void inFlight(int n, IntFunction<CompletableFuture<?>> op) {
        CompletableFuture<?>[] started = new CompletableFuture<?>[n];
        for (int i = 0; i < n; i++) {
            started[i] = op.apply(i);
        }
        CompletableFuture.allOf(started).join();
    }

    /**
     * Runs {@code op(0)} … {@code op(count - 1)} with at most {@code lanes} in flight: each lane
     * starts the next index when its previous operation completes. For operations that complete
     * asynchronously (remote engines); the result fails with the first failure of a lane.
     */
    public static CompletableFuture<Void> inLanes(int count, int lanes, IntFunction<CompletableFuture<?>> op) {
        AtomicInteger next = new AtomicInteger();
        CompletableFuture<?>[] running = new CompletableFuture<?>[Math.min(lanes, count)];
        for (int i = 0; i < running.length; i++) {
            running[i] = lane(next, count, op);
        }
        return CompletableFuture.allOf(running);
    }

    private static CompletableFuture<Void> lane(AtomicInteger next, int count, IntFunction<CompletableFuture<?>> op) {
        int index = next.getAndIncrement();
        if (index >= count) {
            return CompletableFuture.completedFuture(null);
        }
        return op.apply(index).thenCompose(v -> lane(next, count, op));
    }

    /** Writes {@code items} into {@code target} with single puts, {@code inFlight} at a time. */
    public static void putAll(Target target, List<Entry> items, int inFlight) {
        for (int i = 0; i < items.size(); i += inFlight) {
            List<Entry> wave = items.subList(i, Math.min(items.size(), i + inFlight));
            java.util.concurrent.CompletableFuture.allOf(wave.stream()
                    .map(e -> target.put(e.pk(), e.sk(), e.payload()))
                    .toArray(java.util.concurrent.CompletableFuture<?>[]::new)).join();
        }
    }

    public static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
