package dev.polystore.benchmarks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * An A/B check for a noisy machine: Polystore and raw pgjdbc against one PostgreSQL, the same
 * operation alternated in short rounds (contender order swapped every round), so that load
 * from other processes falls on both alike. Prints each contender's median round throughput and
 * the median of the per-round ratios Polystore ÷ raw. A diagnostic next to the JMH groups, not a
 * replacement: JMH's figures are the ones recorded.
 *
 * <pre>java -cp storage-benchmarks/target/benchmarks.jar dev.polystore.benchmarks.PostgresAbHarness [rounds] [ops per round] [ops] [contenders]</pre>
 *
 * {@code ops}: comma-separated {@code get,put,query100} (default all three), or {@code load}: one
 * bulk load of {@code ops per round} new items per round (fresh keys every round, so that a
 * {@code batchPut} always writes new keys), rated in items per second. {@code contenders}: two
 * of {@link Targets#postgres}'s names, the first compared with the second (default
 * {@code polystore,raw}), e.g. {@code polystore,polystore-upsert} for the batch path with and
 * without {@code COPY}.
 */
public final class PostgresAbHarness {
    private PostgresAbHarness() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        List<String> ops = List.of((args.length > 2 ? args[2] : "get,put,query100").split(","));
        List<String> contenders = List.of((args.length > 3 ? args[3] : Targets.POLYSTORE + "," + Targets.RAW).split(","));
        try (PostgresBenchServer server = PostgresBenchServer.start()) {
            for (String line : run(server, rounds, perRound, ops, contenders)) {
                System.out.println(line);
            }
        }
    }

    /** Runs the A/B of {@code contenders} (first against second) and returns one line per operation. */
    public static List<String> run(PostgresBenchServer server, int rounds, int perRound, List<String> ops,
                                   List<String> contenders) {
        Map<String, Target> targets = new LinkedHashMap<>();
        List<String> lines = new ArrayList<>();
        try {
            for (String c : contenders) {
                Target t = Targets.postgres(c, server.jdbcUrl(), server.user());
                Targets.load(t, Targets.dataset(2_000, 20, new Payloads(1)), 5_000);
                targets.put(c, t);
            }
            SplittableRandom random = new SplittableRandom(7);
            Payloads payloads = new Payloads(8);
            for (String op : ops) {
                Map<String, double[]> rates = new LinkedHashMap<>();
                contenders.forEach(c -> rates.put(c, new double[rounds]));
                double[] ratios = new double[rounds];
                for (int warm = 0; warm < 3; warm++) {
                    for (String c : contenders) {
                        roundOf(op, targets.get(c), perRound, random, payloads);
                    }
                }
                for (int r = 0; r < rounds; r++) {
                    List<String> order = new ArrayList<>(contenders);
                    if (r % 2 == 1) {
                        java.util.Collections.reverse(order);
                    }
                    for (String c : order) {
                        rates.get(c)[r] = roundOf(op, targets.get(c), perRound, random, payloads);
                    }
                    ratios[r] = rates.get(contenders.get(0))[r] / rates.get(contenders.get(1))[r];
                }
                StringBuilder line = new StringBuilder(String.format("%-9s", op));
                for (String c : contenders) {
                    line.append(String.format(" %s=%.0f/s", c, median(rates.get(c))));
                }
                double[] sorted = ratios.clone();
                Arrays.sort(sorted);
                line.append(String.format(" %s/%s median=%.3f (middle half %.3f-%.3f, %d rounds of %d)", contenders.get(0),
                        contenders.get(1), median(ratios), sorted[rounds / 4], sorted[(3 * rounds) / 4], rounds, perRound));
                lines.add(line.toString());
            }
        } finally {
            targets.values().forEach(Target::close);
        }
        return lines;
    }

    private static final java.util.concurrent.atomic.AtomicInteger LOADS = new java.util.concurrent.atomic.AtomicInteger();

    /** One round of {@code n} sequential operations (or one load of {@code n} new items); returns operations per second. */
    private static double roundOf(String op, Target t, int n, SplittableRandom random, Payloads payloads) {
        if (op.equals("load")) {
            String pk = "load-" + LOADS.incrementAndGet();
            List<Entry> items = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                items.add(new Entry(pk, String.format("%07d", i), payloads.next()));
            }
            long start = System.nanoTime();
            t.load(items).join();
            return n / ((System.nanoTime() - start) / 1e9);
        }
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            switch (op) {
                case "get" -> t.get(Targets.itemPk(random.nextInt(2_000)), Targets.ITEM_SK).join();
                case "put" -> t.put(Targets.itemPk(random.nextInt(2_000)), Targets.ITEM_SK, payloads.next()).join();
                case "query100" -> t.query(Targets.listPk(random.nextInt(20)), "a#").join();
                default -> throw new IllegalArgumentException("op must be get, put, query100 or load, not " + op);
            }
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }
}
