package dev.polystore.testkit.reliability;

import dev.polystore.testkit.KitBase;
import static dev.polystore.testkit.KitAssertions.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.polystore.Codec;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Item;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Page;
import dev.polystore.Query;
import dev.polystore.Store;
import dev.polystore.testkit.KitAssertions;
import dev.polystore.testkit.Races;
import dev.polystore.spi.SortKeys;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Phaser;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The portable reliability suite (issue 6, items 1 to 5): what a backend must survive,
 * checked through the public API only, so that every backend, ours or a third party's,
 * inherits it by subclassing. Each test prints one line of figures (rounds, operations,
 * retries, losses), tagged {@code [reliability]}, so results can be read from the build log.
 *
 * <ol>
 *   <li>{@link #lostUpdates()}: concurrent read-modify-write through {@code ifVersion} loses nothing;</li>
 *   <li>{@link #createRace()}: concurrent "if absent" creates have exactly one winner per key;</li>
 *   <li>{@link #randomHistories()}: random operation histories give the same results as the
 *       in-memory reference model, with failing histories shrunk and printed with their seed;</li>
 *   <li>{@link #badInputCorpus()}: every portability rule probed at and just past its limit gives
 *       the same typed result everywhere, and nothing rejected is partially written;</li>
 *   <li>{@link #pagesUnderConcurrentWrites()}: a reader paging a partition while writers insert and
 *       delete never sees a key twice and never misses a key that existed throughout.</li>
 * </ol>
 *
 * <p><b>Implementors must provide</b> {@link #config(Path)}, as for
 * {@link dev.polystore.testkit.StorageContract}: the storage may be shared with other tests;
 * every test uses partition keys unique to it.
 *
 * <p><b>Sizes.</b> The defaults are the issue's figures where they are cheap enough for every
 * {@code mvn verify}; each is a protected method a backend may override, and all scale with the
 * system property {@value #SCALE_PROPERTY} (an integer, default 1) for long runs, e.g.
 * {@code mvn verify -Dpolystore.reliability.scale=10}. Random histories start from a random
 * seed, printed; {@value #SEED_PROPERTY} fixes it to replay a failure.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public abstract class ReliabilityContract extends KitBase {
    /** System property multiplying every size of the suite (default 1). */
    public static final String SCALE_PROPERTY = "polystore.reliability.scale";
    /** System property fixing the first random history's seed (the others follow it: seed + 1, …). */
    public static final String SEED_PROPERTY = "polystore.reliability.seed";

    // ------------------------------------------------------------------ sizes (override to tune)

    /** The multiplier from {@value #SCALE_PROPERTY}, at least 1. */
    protected int scale() {
        String value = System.getProperty(SCALE_PROPERTY, "1").trim();
        try {
            int n = Integer.parseInt(value);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(SCALE_PROPERTY + " must be a whole number >= 1, got '" + value + "'", e);
        }
        throw new IllegalArgumentException(SCALE_PROPERTY + " must be a whole number >= 1, got '" + value + "'");
    }

    /** Test 1: concurrent incrementing threads (issue: 8). */
    protected int lostUpdateThreads() {
        return 8;
    }

    /** Test 1: increments per thread (issue: 500). */
    protected int lostUpdateIncrementsPerThread() {
        return 500 * scale();
    }

    /** Test 2: concurrent creating threads (issue: 16). */
    protected int createRaceThreads() {
        return 16;
    }

    /** Test 2: keys every thread tries to create (issue: 200). */
    protected int createRaceKeys() {
        return 200 * scale();
    }

    /** Test 3: random histories (each from its own seed). */
    protected int historyCount() {
        return 12 * scale();
    }

    /** Test 3: operations per history; with {@link #historyCount()}, thousands of operations. */
    protected int historyLength() {
        return 250;
    }

    /** Test 3: most replays spent shrinking a failing history. */
    protected int shrinkBudget() {
        return 300;
    }

    /**
     * Test 3: the seed of the first history (the others use the following ones): {@value #SEED_PROPERTY}
     * if set, else a random one (printed with the figures, and with any failure).
     */
    protected long firstHistorySeed() {
        String fixed = System.getProperty(SEED_PROPERTY);
        if (fixed == null || fixed.isBlank()) {
            return new Random().nextLong();
        }
        try {
            return Long.parseLong(fixed.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(SEED_PROPERTY + " must be a whole number, got '" + fixed + "'", e);
        }
    }

    /** Test 5: full reads of the partition, alternating ascending and descending. */
    protected int pagingPasses() {
        return 20 * scale();
    }

    /** Test 5: keys that exist throughout (the writers overwrite but never delete them). */
    protected int pagingStableKeys() {
        return 120;
    }

    /** Test 5: concurrent writer threads. */
    protected int pagingWriters() {
        return 3;
    }

    /** How long a concurrent phase may take before the kit calls it hung (not a speed check). */
    protected Duration hangTimeout() {
        return Duration.ofMinutes(10).multipliedBy(scale());
    }

    // ------------------------------------------------------------------ 1. lost updates

    /**
     * Threads increment one counter by read, then put {@code ifVersion(read version)}, retrying on
     * {@link ConditionFailedException}. The threads move in rounds: every read of a round happens
     * before any write of it, so every round is a real conflict and exactly one write may win it.
     */
    @Test
    @Order(1)
    @DisplayName("1. lost updates: concurrent read-modify-write increments through ifVersion lose nothing")
    void lostUpdates() throws Exception {
        Store<String> s = storage.store("kit", Codec.utf8());
        String p = pk("counter");
        await(s.put(Item.of(p, "n", "0 initial")));
        int threads = lostUpdateThreads();
        int per = lostUpdateIncrementsPerThread();
        long expected = (long) threads * per;
        AtomicLong retries = new AtomicLong();
        AtomicLong unknown = new AtomicLong();
        AtomicLong attempts = new AtomicLong();
        AtomicInteger rounds = new AtomicInteger();
        Map<Integer, AtomicInteger> winsPerRound = new ConcurrentHashMap<>();
        Phaser phaser = new Phaser(threads) {
            @Override
            protected boolean onAdvance(int phase, int registeredParties) {
                if (registeredParties > 0) {
                    rounds.incrementAndGet();
                }
                return registeredParties == 0;
            }
        };
        Figures figures = new Figures(storage.backend(), "1 lost updates").put("threads", threads)
                .put("increments", expected);
        try {
            List<Integer> done = inThreads(threads, t -> () -> {
                int mine = 0;
                try {
                    for (int attempt = 0; mine < per; attempt++) {
                        Item<String> read = await(s.get(p, "n")).orElseThrow(() -> new AssertionError("the counter vanished"));
                        int round = phaser.arriveAndAwaitAdvance();
                        long n = Long.parseLong(read.value().split(" ")[0]);
                        String next = (n + 1) + " t" + t + "a" + attempt;
                        attempts.incrementAndGet();
                        Throwable failure = failureOf(s.put(Item.of(p, "n", next), Condition.ifVersion(read.version())));
                        boolean won;
                        if (failure == null) {
                            won = true;
                        } else if (failure instanceof ConditionFailedException) {
                            won = false;
                        } else if (failure instanceof OutcomeUnknownException) {
                            // Rounds make this decidable: no write of the next round can start before we arrive.
                            unknown.incrementAndGet();
                            Item<String> now = await(s.get(p, "n")).orElseThrow(() -> new AssertionError("the counter vanished"));
                            won = now.version() == read.version() + 1 && now.value().equals(next);
                        } else {
                            throw new AssertionError("an increment failed with " + failure, failure);
                        }
                        if (won) {
                            mine++;
                            winsPerRound.computeIfAbsent(round, r -> new AtomicInteger()).incrementAndGet();
                        } else {
                            retries.incrementAndGet();
                        }
                    }
                } finally {
                    phaser.arriveAndDeregister();
                }
                return mine;
            });
            Item<String> last = await(s.get(p, "n")).orElseThrow(() -> new AssertionError("the counter vanished"));
            long value = Long.parseLong(last.value().split(" ")[0]);
            long multipleWinners = winsPerRound.values().stream().filter(w -> w.get() > 1).count();
            long lost = expected - value;
            figures.put("rounds", rounds.get()).put("attempts", attempts.get()).put("retries", retries.get())
                    .put("outcome unknown", unknown.get()).put("final value", value).put("final version", last.version())
                    .put("rounds with several winners", multipleWinners).put("lost updates", lost);
            assertEquals(expected, value, "final counter value: " + lost + " increments were lost");
            assertEquals(0, multipleWinners, "rounds in which more than one 'if version' put won (each is a lost update)");
            assertEquals(expected, done.stream().mapToLong(Integer::longValue).sum(), "increments the threads counted");
            assertEquals(expected + 1, last.version(), "final version: one per increment, after the initial put");
        } finally {
            figures.print();
        }
    }

    // ------------------------------------------------------------------ 2. create race

    /**
     * Threads create the same keys in rounds: in each round every thread waits at a barrier, then
     * all try "if absent" on the round's key at once (see {@link Races}), so every round is a real
     * race and a backend whose check is not atomic with its write fails every run.
     */
    @Test
    @Order(2)
    @DisplayName("2. create race: concurrent 'if absent' creates of the same keys have exactly one winner each")
    void createRace() throws Exception {
        Store<String> s = storage.store("kit", Codec.utf8());
        String p = pk("race");
        int threads = createRaceThreads();
        List<String> keys = IntStream.range(0, createRaceKeys()).mapToObj(i -> String.format("key%05d", i))
                .collect(Collectors.toList());
        Figures figures = new Figures(storage.backend(), "2 create race").put("threads", threads).put("keys", keys.size())
                .put("rounds", keys.size()).put("attempts", (long) threads * keys.size());
        try {
            List<List<Races.Outcome<Item<String>>>> rounds = Races.run(keys.size(), threads, hangTimeout(),
                    (round, t) -> s.putIfAbsent(Item.of(p, keys.get(round), "thread " + t)));
            Map<String, List<Integer>> winners = new java.util.HashMap<>();
            long conditionFailures = 0;
            long unknown = 0;
            for (int round = 0; round < rounds.size(); round++) {
                String sk = keys.get(round);
                List<Races.Outcome<Item<String>>> outcomes = rounds.get(round);
                for (int t = 0; t < outcomes.size(); t++) {
                    Throwable failure = outcomes.get(t).failure() == null ? null : Outcomes.unwrap(outcomes.get(t).failure());
                    boolean won;
                    if (failure == null) {
                        won = true;
                    } else if (failure instanceof ConditionFailedException) {
                        won = false;
                    } else if (failure instanceof OutcomeUnknownException) {
                        // A created item never changes here, so reading it back decides.
                        unknown++;
                        String value = "thread " + t;
                        won = await(s.get(p, sk)).map(i -> i.value().equals(value)).orElse(false);
                    } else {
                        throw new AssertionError("an 'if absent' put of " + sk + " failed with " + failure, failure);
                    }
                    if (won) {
                        winners.computeIfAbsent(sk, k -> new ArrayList<>()).add(t);
                    } else {
                        conditionFailures++;
                    }
                }
            }
            long totalWins = winners.values().stream().mapToLong(List::size).sum();
            List<String> several = winners.entrySet().stream().filter(e -> e.getValue().size() > 1)
                    .map(e -> e.getKey() + " won by threads " + e.getValue()).sorted().collect(Collectors.toList());
            List<Item<String>> stored = await(s.query(p, ""));
            List<String> unreadable = new ArrayList<>();
            Map<String, Item<String>> byKey = new java.util.HashMap<>();
            stored.forEach(i -> byKey.put(i.sk(), i));
            for (String sk : keys) {
                List<Integer> w = winners.get(sk);
                Item<String> item = byKey.get(sk);
                if (w == null || w.size() != 1 || item == null || !item.value().equals("thread " + w.get(0))
                        || item.version() != 1) {
                    unreadable.add(sk + " (winners " + w + ", stored " + item + ")");
                }
            }
            figures.put("wins", totalWins).put("condition failures", conditionFailures)
                    .put("outcome unknown", unknown).put("keys with several winners", several.size())
                    .put("winners not read back", unreadable.size());
            assertEquals(List.of(), several.subList(0, Math.min(5, several.size())), several.size() + " of " + keys.size()
                    + " keys were created by more than one 'if absent' put (the check for absence is not atomic with "
                    + "the write); the first ones");
            assertEquals(keys.size(), totalWins, "one win per key");
            assertEquals((long) (threads - 1) * keys.size(), conditionFailures, "condition failures");
            assertEquals(keys.size(), stored.size(), "items stored");
            assertTrue(unreadable.isEmpty(), "each winner's value must be read back at version 1: "
                    + unreadable.subList(0, Math.min(5, unreadable.size())));
        } finally {
            figures.print();
        }
    }

    // ------------------------------------------------------------------ 3. random histories

    @Test
    @Order(3)
    @DisplayName("3. random histories give the same results on the backend as on the in-memory model")
    void randomHistories() {
        long firstSeed = firstHistorySeed();
        HistoryRunner runner = new HistoryRunner(storage, clock, pk("hist/"));
        int histories = historyCount();
        int length = historyLength();
        Figures figures = new Figures(storage.backend(), "3 random histories").put("first seed", firstSeed)
                .put("histories", histories).put("length", length);
        int passed = 0;
        try {
            for (int h = 0; h < histories; h++) {
                long seed = firstSeed + h;
                HistoryRunner.Run result = runner.generate(seed, length);
                if (result.mismatch() != null) {
                    figures.put("failed seed", seed);
                    fail(explain(runner, seed, h, result, figures));
                }
                passed++;
            }
        } finally {
            figures.put("histories passed", passed).put("operations", runner.operations()).put("by kind", runner.counts());
            List<String> skipped = runner.skippedKinds();
            figures.put("skipped", skipped.isEmpty() ? "none" : String.join(", ", skipped));
            figures.put("mismatches", figures.get("failed seed") == null ? 0 : 1);
            figures.print();
        }
    }

    private String explain(HistoryRunner runner, long seed, int index, HistoryRunner.Run result, Figures figures) {
        int before = runner.runs();
        List<HistoryOp> shrunk = runner.shrink(result.ops(), result.mismatch(), shrinkBudget());
        HistoryRunner.Mismatch last = runner.replay(shrunk);
        int replays = runner.runs() - before;
        figures.put("shrunk to", shrunk.size()).put("shrink replays", replays);
        StringBuilder b = new StringBuilder();
        b.append("random history #").append(index).append(" (seed ").append(seed).append(") differs from the model at ")
                .append(result.mismatch().describe()).append('\n');
        if (last != null) {
            b.append("  shrunk from ").append(result.mismatch().step() + 1).append(" to ").append(shrunk.size())
                    .append(" operations (").append(replays).append(" replays):\n")
                    .append(HistoryRunner.printer().apply(shrunk))
                    .append("  which differs at ").append(last.describe()).append('\n');
        } else {
            b.append("  (the shrunk history no longer fails on replay: the failure may depend on timing)\n");
        }
        b.append("  replay with -D").append(SEED_PROPERTY).append('=').append(seed);
        String text = b.toString();
        System.out.println(Figures.TAG + " " + storage.backend() + " | 3 random histories | FAILED\n" + text);
        return text;
    }

    // ------------------------------------------------------------------ 4. bad input corpus

    @Test
    @Order(4)
    @DisplayName("4. bad input: every portability rule at and just past its limit gives the same typed result, nothing partly written")
    void badInputCorpus() {
        BadInputCorpus corpus = new BadInputCorpus(storage, pk(""), layerOverheadBytes());
        Figures figures = new Figures(storage.backend(), "4 bad input corpus");
        try {
            corpus.run();
            corpus.figures(figures);
            if (!corpus.failures().isEmpty()) {
                fail(corpus.failures().size() + " probes of the bad input corpus differ from what every backend must do:\n  "
                        + String.join("\n  ", corpus.failures()) + "\nwhole corpus:\n" + String.join("\n", corpus.table()));
            }
        } finally {
            figures.print();
        }
    }

    // ------------------------------------------------------------------ 5. pages under concurrent writes

    /**
     * Stable keys exist throughout (writers overwrite but never delete them); churn keys, between
     * them in sort order, are inserted and deleted by the writers. The reader waits for at least
     * one write between consecutive pages, so every page boundary is crossed by a write.
     */
    @Test
    @Order(5)
    @DisplayName("5. pages under concurrent writes: no key twice, no key that existed throughout missed")
    void pagesUnderConcurrentWrites() throws Exception {
        Store<String> s = storage.store("kit", Codec.utf8());
        String p = pk("pages");
        String[] suffixes = {"", "\u00E9", "\uFFFF", KeySpace.EMOJI, "%_"};
        int n = pagingStableKeys();
        List<String> stable = new ArrayList<>();
        List<String> churn = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            stable.add(String.format("k%05d", 2 * i) + suffixes[i % suffixes.length]);
            churn.add(String.format("k%05d", 2 * i + 1) + suffixes[(i + 2) % suffixes.length]);
        }
        Set<String> known = new HashSet<>(stable);
        known.addAll(churn);
        List<CompletableFuture<?>> setup = new ArrayList<>();
        for (String sk : stable) {
            setup.add(s.put(Item.of(p, sk, "stable " + sk)));
        }
        for (int i = 0; i < churn.size(); i += 2) {
            setup.add(s.put(Item.of(p, churn.get(i), "churn " + churn.get(i))));
        }
        await(CompletableFuture.allOf(setup.toArray(new CompletableFuture<?>[0])));

        int writers = pagingWriters();
        AtomicBoolean stop = new AtomicBoolean();
        Semaphore writes = new Semaphore(0);
        AtomicLong inserts = new AtomicLong();
        AtomicLong deletes = new AtomicLong();
        AtomicLong overwrites = new AtomicLong();
        int passes = pagingPasses();
        int[] limits = {1, 3, 7, 16};
        long pages = 0;
        long itemsRead = 0;
        List<String> problems = new ArrayList<>();
        Figures figures = new Figures(storage.backend(), "5 pages under concurrent writes").put("stable keys", n)
                .put("churn keys", churn.size()).put("writers", writers).put("passes", passes);
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<Void>> running = new ArrayList<>();
        try {
            for (int w = 0; w < writers; w++) {
                Random random = new Random(31L * w + 7);
                running.add(pool.submit(() -> {
                    while (!stop.get()) {
                        int choice = random.nextInt(10);
                        if (choice < 2) {
                            String sk = stable.get(random.nextInt(stable.size()));
                            await(s.put(Item.of(p, sk, "stable " + sk)));
                            overwrites.incrementAndGet();
                        } else {
                            String sk = churn.get(random.nextInt(churn.size()));
                            if (choice < 6) {
                                await(s.put(Item.of(p, sk, "churn " + sk)));
                                inserts.incrementAndGet();
                            } else {
                                await(s.delete(p, sk));
                                deletes.incrementAndGet();
                            }
                        }
                        writes.release();
                    }
                    return null;
                }));
            }
            for (int pass = 0; pass < passes && problems.size() < 20; pass++) {
                boolean descending = pass % 2 == 1;
                int limit = limits[pass % limits.length];
                Query base = Query.partition(p).limit(limit);
                if (descending) {
                    base = base.descending();
                }
                List<String> seen = new ArrayList<>();
                Query q = base;
                int maxPages = 2 * (stable.size() + churn.size()) / limit + 10;
                for (int pageOfPass = 0; ; pageOfPass++) {
                    if (pageOfPass == maxPages) {
                        problems.add("pass " + pass + " (" + (descending ? "descending" : "ascending") + ", " + limit
                                + " per page) did not end after " + maxPages + " pages: the cursor does not move forward");
                        break;
                    }
                    awaitWrite(writes, running);
                    Page<String> page = await(s.query(q));
                    pages++;
                    for (Item<String> item : page.items()) {
                        seen.add(item.sk());
                        String prefix = stable.contains(item.sk()) ? "stable " : "churn ";
                        if (!known.contains(item.sk()) || !item.value().equals(prefix + item.sk())) {
                            problems.add("pass " + pass + ": an item that was never written: " + item);
                        }
                    }
                    itemsRead += page.items().size();
                    if (page.cursor().isEmpty()) {
                        break;
                    }
                    q = base.after(page.cursor().get());
                }
                for (int i = 1; i < seen.size(); i++) {
                    int c = SortKeys.compare(seen.get(i - 1), seen.get(i));
                    if (descending ? c <= 0 : c >= 0) {
                        problems.add("pass " + pass + " (" + (descending ? "descending" : "ascending") + ", " + limit
                                + " per page): " + (c == 0 ? "key seen twice: " : "out of order: ") + seen.get(i - 1)
                                + " then " + seen.get(i));
                    }
                }
                Set<String> seenSet = new HashSet<>(seen);
                for (String sk : stable) {
                    if (!seenSet.contains(sk)) {
                        problems.add("pass " + pass + " (" + (descending ? "descending" : "ascending") + ", " + limit
                                + " per page): missed " + sk + ", which existed throughout");
                    }
                }
            }
        } finally {
            stop.set(true);
            pool.shutdown();
            boolean ended = pool.awaitTermination(hangTimeout().toMillis(), TimeUnit.MILLISECONDS);
            figures.put("pages", pages).put("items read", itemsRead).put("inserts", inserts.get())
                    .put("deletes", deletes.get()).put("overwrites", overwrites.get()).put("problems", problems.size());
            figures.print();
            if (!ended) {
                pool.shutdownNow();
                fail("writers did not stop within " + hangTimeout());
            }
        }
        for (Future<Void> writer : running) {
            writer.get(); // a writer's own failure (a write that failed) fails the test too
        }
        assertTrue(problems.isEmpty(), "a reader paging under concurrent writes saw:\n  " + String.join("\n  ", problems));
    }

    /** Waits until some writer has written since the last call (no sleeping: a semaphore the writers release). */
    private void awaitWrite(Semaphore writes, List<Future<Void>> writers) throws Exception {
        while (!writes.tryAcquire(1, TimeUnit.SECONDS)) {
            for (Future<Void> w : writers) {
                if (w.isDone()) {
                    w.get();
                    fail("a writer stopped early");
                }
            }
            if (writers.isEmpty()) {
                fail("no writers");
            }
        }
        writes.drainPermits();
    }

    // ------------------------------------------------------------------ helpers

    /** What {@code future} failed with (unwrapped), or null if it succeeded; fails the test if it hangs. */
    private static Throwable failureOf(CompletableFuture<?> future) throws InterruptedException {
        try {
            future.get(KitAssertions.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return null;
        } catch (ExecutionException e) {
            return Outcomes.unwrap(e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("an operation did not complete within " + KitAssertions.TIMEOUT + " (a hung future)", e);
        }
    }

    private interface Worker<T> {
        Callable<T> of(int thread);
    }

    /**
     * Runs {@code n} workers on their own threads and returns their results in order; rethrows
     * the first failure. {@code gates} are counted down once every worker has started.
     */
    private <T> List<T> inThreads(int n, Worker<T> worker, CountDownLatch... gates) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int t = 0; t < n; t++) {
                futures.add(pool.submit(worker.of(t)));
            }
            for (CountDownLatch gate : gates) {
                gate.countDown();
            }
            long deadline = System.nanoTime() + hangTimeout().toNanos();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                try {
                    results.add(f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof AssertionError ae) {
                        throw ae;
                    }
                    throw new AssertionError("a worker thread failed: " + cause, cause);
                } catch (TimeoutException e) {
                    throw new AssertionError("worker threads did not finish within " + hangTimeout() + " (hung)", e);
                }
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
