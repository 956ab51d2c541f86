package dev.polystore.benchmarks;

import dev.polystore.Item;
import dev.polystore.Store;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ops} operations in flight at once on each backend: first {@code ops} concurrent puts of
 * distinct 1 KB items, then {@code ops} concurrent gets of them, every call issued before any is
 * awaited. Reports errors by type (expected: none), throughput and peak heap. Asserts no timing.
 *
 * <pre>java -Xmx1g -cp storage-benchmarks/target/benchmarks.jar dev.polystore.benchmarks.InFlightHarness 10000 sqlite,dynamodb,memory,postgres,postgres-pooled</pre>
 */
public final class InFlightHarness {

    /** What one phase of one backend did. */
    public record Phase(String backend, String op, int ops, long errors, Map<String, Long> errorTypes,
                        double seconds, long peakSampled, long peakPools) {
        double opsPerSecond() {
            return ops / seconds;
        }

        @Override
        public String toString() {
            return String.format("%-9s %-4s ops=%d errors=%d %s time=%.2f s throughput=%.0f ops/s "
                            + "peak heap sampled=%s pools=%s (max %s)", backend, op, ops, errors,
                    errorTypes.isEmpty() ? "" : errorTypes.toString(), seconds, opsPerSecond(),
                    HeapWatch.mib(peakSampled), HeapWatch.mib(peakPools), HeapWatch.mib(HeapWatch.maxHeap()));
        }
    }

    private InFlightHarness() {
    }

    public static void main(String[] args) {
        int ops = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        String[] backends = (args.length > 1 ? args[1] : "sqlite,dynamodb,memory").split(",");
        for (String backend : backends) {
            for (Phase p : run(backend, ops)) {
                System.out.println(p);
            }
        }
    }

    /** Runs both phases on {@code backend} ({@code sqlite}, {@code dynamodb}, {@code memory}, {@code redis}, {@code postgres}, {@code postgres-pooled}). */
    public static List<Phase> run(String backend, int ops) {
        return run(backend, ops, null);
    }

    /** As {@link #run(String, int)}; a postgres backend uses {@code shared} if given, else a server of its own. */
    public static List<Phase> run(String backend, int ops, PostgresBenchServer shared) {
        Path dir = null;
        DynamoDbLocalServer server = null;
        PostgresBenchServer postgres = null;
        dev.polystore.testkit.redis.RedisProcess redis = null;
        PolystoreTarget target;
        switch (backend) {
            case "sqlite":
                dir = Targets.tempDir("bench-inflight-");
                target = PolystoreTarget.sqlite(dir.resolve("bench.db"));
                break;
            case "dynamodb":
                server = DynamoDbLocalServer.start();
                target = PolystoreTarget.dynamodb(server.endpoint());
                break;
            case "memory":
                target = PolystoreTarget.memory();
                break;
            case "postgres":
            case "postgres-pooled":
                // postgres: the defaults (calls from this one thread run on it, one after another, while a
                // connection is free); postgres-pooled: run_on_caller = false, so all ops really are queued at once.
                postgres = shared != null ? null : PostgresBenchServer.start();
                PostgresBenchServer pg = shared != null ? shared : postgres;
                target = PolystoreTarget.postgres(pg.jdbcUrl(), pg.user(), backend.equals("postgres") ? "inflight_" : "inflightp_",
                        backend.equals("postgres"));
                break;
            case "redis":
                redis = dev.polystore.testkit.redis.RedisProcess.startDefault();
                // Each call's timeout runs from its issue; a burst of 10,000 issued at once on a loaded
                // 2-core machine takes longer than the 5 s default to drain (the tail would fail with
                // UnavailableException, by design), so the harness allows 60 s per call.
                target = RedisTargets.polystore(redis.uri(), java.util.Map.of("command_timeout_ms",
                        Integer.getInteger("polystore.bench.redis.command_timeout_ms", 60_000)));
                break;
            default:
                throw new IllegalArgumentException("backend must be sqlite, dynamodb, memory, redis, postgres or postgres-pooled, not "
                        + backend);
        }
        try {
            Store<byte[]> store = target.store();
            Payloads payloads = new Payloads(99);
            List<byte[]> data = new ArrayList<>(ops);
            for (int i = 0; i < ops; i++) {
                data.add(payloads.next());
            }
            List<Phase> phases = new ArrayList<>();
            phases.add(phase(backend, "put", ops, i -> store.put(Item.of(Targets.itemPk(i), Targets.ITEM_SK, data.get(i)))));
            phases.add(phase(backend, "get", ops, i -> store.get(Targets.itemPk(i), Targets.ITEM_SK)
                    .thenApply(found -> {
                        if (found.isEmpty()) {
                            throw new IllegalStateException("item " + i + " not found after its put");
                        }
                        return found;
                    })));
            return phases;
        } finally {
            target.close();
            if (server != null) {
                server.close();
            }
            if (postgres != null) {
                postgres.close();
            }
            if (redis != null) {
                redis.close();
            }
            Targets.deleteRecursively(dir);
        }
    }

    private static Phase phase(String backend, String op, int ops,
                               java.util.function.IntFunction<CompletableFuture<?>> call) {
        AtomicLong errors = new AtomicLong();
        Map<String, Long> types = new TreeMap<>();
        try (HeapWatch heap = new HeapWatch()) {
            long start = System.nanoTime();
            CompletableFuture<?>[] inFlight = new CompletableFuture<?>[ops];
            for (int i = 0; i < ops; i++) {
                inFlight[i] = call.apply(i).handle((v, e) -> {
                    if (e != null) {
                        errors.incrementAndGet();
                        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                        synchronized (types) {
                            types.merge(cause.getClass().getSimpleName(), 1L, Long::sum);
                        }
                    }
                    return null;
                });
            }
            CompletableFuture.allOf(inFlight).join();
            double seconds = (System.nanoTime() - start) / 1e9;
            synchronized (types) {
                return new Phase(backend, op, ops, errors.get(), Map.copyOf(types), seconds,
                        heap.peakSampled(), heap.peakPools());
            }
        }
    }
}
