package dev.polystore.benchmarks;

import dev.polystore.testkit.redis.RedisProcess;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * An interleaved A/B of the Redis contenders, for a machine too loaded for JMH's sequential
 * trials to compare: both contenders on one server, alternating {@code rounds} times for
 * {@code millis} each per operation, so that load that comes and goes hits both alike. Reports
 * per operation the median Polystore/raw throughput ratio and its range over the rounds (the
 * JMH {@link RedisBenchmark} stays the reference on a quiet machine). Asserts nothing.
 *
 * <pre>java -cp storage-benchmarks/target/benchmarks.jar dev.polystore.benchmarks.RedisAbHarness 10 1000</pre>
 */
public final class RedisAbHarness {
    private RedisAbHarness() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int millis = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        for (String line : run(rounds, millis, 1000, 10)) {
            System.out.println(line);
        }
    }

    /** One operation of the benchmark, as a function of the target, started once. */
    private record Op(String name, int inFlight, Function<Target, CompletableFuture<?>> call) {
    }

    public static List<String> run(int rounds, int millis, int items, int partitions) {
        List<String> out = new ArrayList<>();
        try (RedisProcess server = RedisProcess.startDefault();
             Target polystore = RedisTargets.of(Targets.POLYSTORE, server.uri());
             Target raw = RedisTargets.of(Targets.RAW, server.uri())) {
            for (Target t : List.of(polystore, raw)) {
                Targets.putAll(t, Targets.dataset(items, partitions, new Payloads(1)), 64);
            }
            SplittableRandom random = new SplittableRandom(42);
            Payloads payloads = new Payloads(43);
            List<Op> ops = List.of(
                    new Op("get", 1, t -> t.get(Targets.itemPk(random.nextInt(items)), Targets.ITEM_SK)),
                    new Op("get64", 64, t -> t.get(Targets.itemPk(random.nextInt(items)), Targets.ITEM_SK)),
                    new Op("put", 1, t -> t.put(Targets.itemPk(random.nextInt(items)), Targets.ITEM_SK, payloads.next())),
                    new Op("put64", 64, t -> t.put(Targets.itemPk(random.nextInt(items)), Targets.ITEM_SK, payloads.next())),
                    new Op("query100", 1, t -> t.query(Targets.listPk(random.nextInt(partitions)), "a#")),
                    new Op("query100x64", 64, t -> t.query(Targets.listPk(random.nextInt(partitions)), "a#")));
            for (Op op : ops) {
                measure(op, polystore, 200); // warm-up, both
                measure(op, raw, 200);
                double[] ratios = new double[rounds];
                double sumP = 0;
                double sumR = 0;
                for (int r = 0; r < rounds; r++) {
                    boolean polystoreFirst = r % 2 == 0;
                    double a = measure(op, polystoreFirst ? polystore : raw, millis);
                    double b = measure(op, polystoreFirst ? raw : polystore, millis);
                    double p = polystoreFirst ? a : b;
                    double w = polystoreFirst ? b : a;
                    ratios[r] = p / w;
                    sumP += p;
                    sumR += w;
                }
                Arrays.sort(ratios);
                out.add(String.format("%-12s polystore %8.0f ops/s  raw %8.0f ops/s  ratio median %.2f (range %.2f-%.2f over %d rounds)",
                        op.name(), sumP / rounds, sumR / rounds, ratios[rounds / 2], ratios[0], ratios[rounds - 1], rounds));
            }
        }
        return out;
    }

    /** Throughput of {@code op} on {@code target} over about {@code millis}, {@code op.inFlight()} at a time. */
    private static double measure(Op op, Target target, int millis) {
        long end = System.nanoTime() + millis * 1_000_000L;
        long start = System.nanoTime();
        long done = 0;
        while (System.nanoTime() < end) {
            CompletableFuture<?>[] batch = new CompletableFuture<?>[op.inFlight()];
            for (int i = 0; i < batch.length; i++) {
                batch[i] = op.call().apply(target);
            }
            CompletableFuture.allOf(batch).join();
            done += batch.length;
        }
        return done / ((System.nanoTime() - start) / 1e9);
    }
}
