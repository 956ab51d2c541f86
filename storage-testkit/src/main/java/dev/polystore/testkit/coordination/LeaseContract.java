package dev.polystore.testkit.coordination;

import static dev.polystore.testkit.KitAssertions.await;
import static dev.polystore.testkit.KitAssertions.awaitFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Capability;
import dev.polystore.Codec;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Storage;
import dev.polystore.StoreFactory;
import dev.polystore.Store;
import dev.polystore.Transaction;
import dev.polystore.UnavailableException;
import dev.polystore.UnsupportedCapabilityException;
import dev.polystore.ValidationException;
import dev.polystore.lease.Lease;
import dev.polystore.lease.LeaseInfo;
import dev.polystore.lease.LeaseLoss;
import dev.polystore.lease.LeaseLostException;
import dev.polystore.lease.LeaseOptions;
import dev.polystore.lease.LeaseTimeoutException;
import dev.polystore.lease.Leases;
import dev.polystore.lease.Ticker;
import dev.polystore.testkit.KitBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The contract of leases with fencing tokens ({@code Storage.leases()}; {@code docs/coordination.md}),
 * through the public API only, so every backend inherits it by subclassing. Tests that show what a
 * backend survived print one line of figures tagged {@code [reliability]}.
 *
 * <p><b>Implementors must provide</b> {@link #config(java.nio.file.Path)} (see {@link KitBase}).
 * <b>Implementors may override</b> {@link #sharedAcrossProcesses()} (false for an engine a second
 * process cannot open, such as memory: the two-JVM and kill -9 tests are then skipped by name),
 * {@link #contenders()}, {@link #incrementsPerContender()}, {@link #pollInterval()} and
 * {@link #killTtl()}. Sizes scale with {@value #SCALE_PROPERTY}.
 *
 * <p>Most tests use {@link ManualTicker}s, so that a holder can be paused or a contender's clock
 * skewed without sleeping; the contention, automatic-renewal and kill tests run in real time with
 * generous bounds (never a speed check).
 */
public abstract class LeaseContract extends KitBase {
    /** System property multiplying the sizes (default 1), shared with the reliability suite. */
    public static final String SCALE_PROPERTY = "polystore.reliability.scale";

    /** The multiplier from {@value #SCALE_PROPERTY}. */
    protected int scale() {
        String v = System.getProperty(SCALE_PROPERTY, "1").trim();
        int n = Integer.parseInt(v);
        if (n < 1) {
            throw new IllegalArgumentException(SCALE_PROPERTY + " must be >= 1, got " + v);
        }
        return n;
    }

    /** Whether a second process (a child JVM) can open the same engine with {@link #config}. */
    protected boolean sharedAcrossProcesses() {
        return true;
    }

    /** Contending threads per JVM in the contention test. */
    protected int contenders() {
        return 4;
    }

    /** Successful increments each contender makes. */
    protected int incrementsPerContender() {
        return 15 * scale();
    }

    /** How often a waiting contender looks at the lease again, in the real-time tests. */
    protected Duration pollInterval() {
        return Duration.ofMillis(10);
    }

    /** The TTL of the lease the killed child holds. */
    protected Duration killTtl() {
        return Duration.ofSeconds(2);
    }

    /** How far past the TTL a takeover may come before the kit calls it hung (not a speed check). */
    protected Duration takeoverBound() {
        return Duration.ofSeconds(60);
    }

    // ------------------------------------------------------------------ helpers

    /** A lease name unique to this test. */
    protected String leaseName(String name) {
        return tag + "-" + name;
    }

    /** Leases on the test's storage whose time is {@code ticker}, renewed only by hand. */
    protected Leases manual(Ticker ticker, String owner) {
        return manual(storage, ticker, owner);
    }

    static Leases manual(Storage on, Ticker ticker, String owner) {
        return on.leases(LeaseOptions.builder().owner(owner).ticker(ticker).autoRenew(false).build());
    }

    protected Store<String> kit() {
        return storage.store("kit", Codec.utf8());
    }

    static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    private static Lease held(Optional<Lease> lease, String what) {
        return lease.orElseThrow(() -> new AssertionError(what + ": tryAcquire found the lease held, but it should "
                + "have been granted"));
    }

    private Storage openWrapped(FaultyBackend[] slot) throws Exception {
        return StoreFactory.open(config(tempDir).withClock(clock), b -> slot[0] = new FaultyBackend(b));
    }

    private static final Duration TTL = Duration.ofSeconds(10);

    // ------------------------------------------------------------------ groups

    @Nested
    @DisplayName("acquire and release")
    class AcquireAndRelease {
        @Test
        @DisplayName("a free lease is granted with a token, and describe shows its holder")
        void granted() {
            ManualTicker t = new ManualTicker();
            Lease l = held(await(manual(t, "alpha").tryAcquire(leaseName("a"), TTL)), "a fresh lease");
            assertTrue(l.token() >= 1, "tokens start at 1: " + l.token());
            assertTrue(l.isValid());
            assertEquals("alpha", l.owner());
            assertEquals(leaseName("a"), l.name());
            assertEquals(TTL, l.ttl());
            LeaseInfo info = await(storage.leases().describe(leaseName("a"))).orElseThrow();
            assertEquals("alpha", info.owner());
            assertEquals(l.token(), info.token());
            assertFalse(info.released());
            assertEquals(TTL, info.ttl());
            assertEquals(Optional.empty(), await(storage.leases().describe(leaseName("never"))));
        }

        @Test
        @DisplayName("a held lease is refused to another holder while its record keeps changing or its TTL has not passed")
        void refusedWhileHeld() {
            ManualTicker t = new ManualTicker();
            held(await(manual(t, "holder").tryAcquire(leaseName("b"), TTL)), "first");
            Leases other = manual(t, "other");
            assertEquals(Optional.empty(), await(other.tryAcquire(leaseName("b"), TTL)));
            t.advance(TTL.minusMillis(1));
            assertEquals(Optional.empty(), await(other.tryAcquire(leaseName("b"), TTL)),
                    "taken over before the holder's TTL had passed unchanged");
        }

        @Test
        @DisplayName("release returns true once, then false; a released lease cannot be renewed, and is granted again at once with a greater token")
        void release() {
            ManualTicker t = new ManualTicker();
            Lease l = held(await(manual(t, "one").tryAcquire(leaseName("c"), TTL)), "first");
            assertTrue(await(l.release()), "releasing a held lease");
            assertFalse(await(l.release()), "a second release");
            assertFalse(l.isValid());
            assertEquals(LeaseLoss.Reason.RELEASED, await(l.lost()).reason());
            awaitFailure(LeaseLostException.class, l.renew());
            assertTrue(await(storage.leases().describe(leaseName("c"))).orElseThrow().released());
            Lease next = held(await(manual(t, "two").tryAcquire(leaseName("c"), TTL)), "after a release");
            assertTrue(next.token() > l.token(), "token " + next.token() + " after " + l.token());
        }

        @Test
        @DisplayName("acquire gives up after its timeout with LeaseTimeoutException naming the holder")
        void timeout() {
            ManualTicker t = new ManualTicker();
            held(await(manual(t, "keeper").tryAcquire(leaseName("d"), TTL)), "first");
            Leases other = storage.leases(LeaseOptions.builder().owner("waiter").autoRenew(false)
                    .pollInterval(Duration.ofMillis(5)).build());
            LeaseTimeoutException e = awaitFailure(LeaseTimeoutException.class,
                    other.acquire(leaseName("d"), TTL, Duration.ofMillis(50)));
            assertTrue(e.getMessage().contains("keeper"), e.getMessage());
            assertTrue(e.retryable());
        }

        @Test
        @DisplayName("bad names and TTLs fail with ValidationException, as futures")
        void badInput() {
            Leases l = storage.leases();
            awaitFailure(ValidationException.class, l.tryAcquire("", TTL));
            awaitFailure(ValidationException.class, l.tryAcquire("x".repeat(513), TTL));
            awaitFailure(ValidationException.class, l.tryAcquire("a\u0000b", TTL));
            awaitFailure(ValidationException.class, l.tryAcquire(leaseName("e"), Duration.ZERO));
            awaitFailure(ValidationException.class, l.tryAcquire(leaseName("e"), Duration.ofDays(8)));
            Leases margin = storage.leases(LeaseOptions.builder().safetyMargin(Duration.ofSeconds(20)).build());
            awaitFailure(ValidationException.class, margin.tryAcquire(leaseName("e"), TTL));
        }
    }

    @Nested
    @DisplayName("tokens")
    class Tokens {
        @Test
        @DisplayName("tokens strictly increase across release, expiry (takeover) and restarts")
        void increase() throws Exception {
            List<Long> tokens = new ArrayList<>();
            String name = leaseName("tokens");
            CoordinationFigures figures = new CoordinationFigures(storage.backend(), "lease tokens");
            try {
                ManualTicker t = new ManualTicker();
                Lease a = held(await(manual(t, "a").tryAcquire(name, TTL)), "first");
                tokens.add(a.token());
                assertTrue(await(a.release()));
                Lease b = held(await(manual(t, "b").tryAcquire(name, TTL)), "after release");
                tokens.add(b.token());
                // b stops renewing; c waits for the TTL unchanged and takes over.
                Leases c = manual(t, "c");
                assertEquals(Optional.empty(), await(c.tryAcquire(name, TTL)));
                t.advance(TTL);
                Lease cl = held(await(c.tryAcquire(name, TTL)), "after expiry");
                tokens.add(cl.token());
                assertTrue(await(cl.release()));
                for (int round = 0; round < 3; round++) {
                    if (sharedAcrossProcesses()) {
                        reopen(); // a new Storage, as a restarted process would open
                    }
                    Lease d = held(await(manual(new ManualTicker(), "restart-" + round).tryAcquire(name, TTL)),
                            "after a restart");
                    tokens.add(d.token());
                    assertTrue(await(d.release()));
                }
                for (int i = 1; i < tokens.size(); i++) {
                    assertTrue(tokens.get(i) > tokens.get(i - 1), "tokens must strictly increase: " + tokens);
                }
            } finally {
                figures.put("acquisitions", tokens.size()).put("tokens", tokens)
                        .put("restarts", sharedAcrossProcesses() ? "reopened storage" : "new Leases instance").print();
            }
        }
    }

    @Nested
    @DisplayName("renewal and loss")
    class Renewal {
        @Test
        @DisplayName("renew keeps the token and moves the deadline; without renewal the lease expires and reports EXPIRED")
        void renewAndExpire() {
            ManualTicker t = new ManualTicker();
            Lease l = held(await(manual(t, "r").tryAcquire(leaseName("r"), TTL)), "first");
            long version = await(storage.leases().describe(leaseName("r"))).orElseThrow().recordVersion();
            t.advance(Duration.ofSeconds(7));
            assertTrue(l.isValid());
            assertEquals(l, await(l.renew()));
            LeaseInfo info = await(storage.leases().describe(leaseName("r"))).orElseThrow();
            assertEquals(l.token(), info.token(), "a renewal must not move the token");
            assertEquals(version + 1, info.recordVersion(), "a renewal rewrites the record once");
            t.advance(Duration.ofSeconds(7));
            assertTrue(l.isValid(), "valid until ttl - margin after the renewal");
            t.advance(Duration.ofSeconds(2));
            assertFalse(l.isValid(), "past ttl - margin after the last renewal");
            assertEquals(LeaseLoss.Reason.EXPIRED, await(l.lost()).reason());
            awaitFailure(LeaseLostException.class, l.renew());
        }

        @Test
        @DisplayName("a contender restarts its wait when the holder renews")
        void renewalResetsTheContendersWait() {
            ManualTicker t = new ManualTicker();
            Lease l = held(await(manual(t, "h").tryAcquire(leaseName("w"), TTL)), "first");
            Leases c = manual(t, "c");
            assertEquals(Optional.empty(), await(c.tryAcquire(leaseName("w"), TTL)));
            t.advance(Duration.ofSeconds(6));
            await(l.renew());
            t.advance(Duration.ofSeconds(5));
            assertEquals(Optional.empty(), await(c.tryAcquire(leaseName("w"), TTL)),
                    "the record changed within the TTL: no takeover");
            t.advance(TTL.minusMillis(1));
            assertEquals(Optional.empty(), await(c.tryAcquire(leaseName("w"), TTL)));
            t.advance(Duration.ofMillis(1));
            Lease taken = held(await(c.tryAcquire(leaseName("w"), TTL)), "unchanged for a whole TTL");
            assertTrue(taken.token() > l.token());
        }

        @Test
        @DisplayName("a renewal that finds another holder fails with LeaseLostException and reports TAKEN_OVER; release then returns false")
        void takenOver() {
            ManualTicker paused = new ManualTicker();
            ManualTicker t = new ManualTicker();
            Lease old = held(await(manual(paused, "old").tryAcquire(leaseName("t"), TTL)), "first");
            Leases c = manual(t, "new");
            await(c.tryAcquire(leaseName("t"), TTL));
            t.advance(TTL);
            held(await(c.tryAcquire(leaseName("t"), TTL)), "takeover");
            LeaseLostException e = awaitFailure(LeaseLostException.class, old.renew());
            assertEquals(old.token(), e.token());
            LeaseLoss loss = await(old.lost());
            assertEquals(LeaseLoss.Reason.TAKEN_OVER, loss.reason(), loss.message());
            assertFalse(await(old.release()), "releasing a lease taken over");
            assertEquals("new", await(storage.leases().describe(leaseName("t"))).orElseThrow().owner());
        }

        @Test
        @DisplayName("renewals that fail because the engine is down report UNAVAILABLE, not a takeover")
        void unavailable() throws Exception {
            FaultyBackend[] faulty = new FaultyBackend[1];
            try (Storage s = openWrapped(faulty)) {
                ManualTicker t = new ManualTicker();
                Lease l = held(await(manual(s, t, "u").tryAcquire(leaseName("u"), TTL)), "first");
                faulty[0].down(true);
                awaitFailure(UnavailableException.class, l.renew());
                assertTrue(l.isValid(), "a failed renewal does not end the lease before its deadline");
                assertFalse(l.lost().isDone());
                t.advance(TTL);
                assertFalse(l.isValid());
                LeaseLoss loss = await(l.lost());
                assertEquals(LeaseLoss.Reason.UNAVAILABLE, loss.reason(), loss.message());
                assertTrue(loss.cause() instanceof UnavailableException, "the cause is the engine's failure: " + loss.cause());
                faulty[0].down(false);
                assertTrue(await(l.release()), "nobody took it over: the release cleans up and says it was still held");
            }
        }

        @Test
        @DisplayName("automatic renewal keeps a lease held, with its token, across several TTLs (real time)")
        void automatic() throws Exception {
            Duration ttl = Duration.ofSeconds(6);
            Leases leases = storage.leases(LeaseOptions.builder().owner("auto").renewEvery(Duration.ofMillis(500)).build());
            Lease l = await(leases.acquire(leaseName("auto"), ttl, Duration.ofSeconds(30)));
            long start = await(storage.leases().describe(leaseName("auto"))).orElseThrow().recordVersion();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            long version = start;
            while (version < start + 3 && System.nanoTime() < deadline) {
                Thread.sleep(100);
                version = await(storage.leases().describe(leaseName("auto"))).orElseThrow().recordVersion();
            }
            assertTrue(version >= start + 3, "three automatic renewals within 60 s: record version " + start + " -> "
                    + version);
            LeaseInfo info = await(storage.leases().describe(leaseName("auto"))).orElseThrow();
            assertEquals(l.token(), info.token());
            assertFalse(l.lost().isDone() && await(l.lost()).reason() == LeaseLoss.Reason.TAKEN_OVER);
            assertTrue(await(l.release()));
        }
    }

    @Nested
    @DisplayName("ambiguous outcomes")
    class Ambiguous {
        @Test
        @DisplayName("renewals, acquisitions and releases whose answers are lost are settled by reading back: never a false loss")
        void lostAnswers() throws Exception {
            FaultyBackend[] faulty = new FaultyBackend[1];
            int rounds = 20 * scale();
            CoordinationFigures figures = new CoordinationFigures(storage.backend(), "lease lost answers");
            long falseLosses = 0;
            long renewals = 0;
            try (Storage s = openWrapped(faulty)) {
                ManualTicker t = new ManualTicker();
                Leases leases = manual(s, t, "amb");
                faulty[0].loseNextAnswers(1);
                Lease l = held(await(leases.tryAcquire(leaseName("amb"), TTL)), "an acquisition whose answer was lost");
                Leases contender = manual(s, t, "contender");
                long before = await(s.leases().describe(leaseName("amb"))).orElseThrow().recordVersion();
                for (int i = 0; i < rounds; i++) {
                    await(contender.tryAcquire(leaseName("amb"), TTL)); // observes the current version
                    if (i % 2 == 0) {
                        faulty[0].loseNextAnswers(1);
                    } else {
                        faulty[0].timeOutNextWritesUnsent(1);
                    }
                    t.advance(Duration.ofSeconds(3));
                    try {
                        await(l.renew());
                        renewals++;
                    } catch (AssertionError e) {
                        falseLosses++;
                        throw e;
                    }
                    t.advance(Duration.ofSeconds(3));
                    assertEquals(Optional.empty(), await(contender.tryAcquire(leaseName("amb"), TTL)),
                            "round " + i + ": the holder renewed within the TTL; no takeover");
                    assertTrue(l.isValid(), "round " + i);
                }
                LeaseInfo info = await(s.leases().describe(leaseName("amb"))).orElseThrow();
                assertEquals(before + rounds, info.recordVersion(), "each renewal applied exactly once");
                assertEquals(l.token(), info.token());
                faulty[0].loseNextAnswers(1);
                assertTrue(await(l.release()), "a release whose answer was lost");
                assertTrue(await(s.leases().describe(leaseName("amb"))).orElseThrow().released());
                figures.put("answers lost", faulty[0].answersLost.get()).put("timed out unsent", faulty[0].timedOut.get())
                        .put("renewals", renewals);
            } finally {
                figures.put("rounds", rounds).put("false losses", falseLosses).print();
            }
        }
    }

    @Nested
    @DisplayName("fenced writes (capability TRANSACTIONS)")
    class Fenced {
        @Test
        @DisplayName("fenced puts, deletes and transactions apply while held; the caller's own conditions keep their indexes")
        void applyWhileHeld() {
            assumeCapability(Capability.TRANSACTIONS);
            Store<String> s = kit();
            Lease l = held(await(manual(new ManualTicker(), "f").tryAcquire(leaseName("f"), TTL)), "first");
            Item<String> written = await(l.put(s, Item.of(pk("f"), "a", "1")));
            assertEquals(1, written.version());
            await(l.put(s, Item.of(pk("f"), "a", "2"), Condition.ifVersion(1)));
            Transaction tx = l.transaction().put(s, Item.of(pk("f"), "b", "x")).put(s, Item.of(pk("f"), "c", "y"));
            assertEquals(2, tx.size());
            assertEquals(List.of(1L, 1L), await(tx.commit()));
            await(l.delete(s, Key.of(pk("f"), "c"), Condition.ifExists()));
            assertEquals(Optional.empty(), await(s.get(pk("f"), "c")));
            ConditionFailedException e = awaitFailure(ConditionFailedException.class, l.transaction()
                    .put(s, Item.of(pk("f"), "d", "z"), Condition.ifAbsent())
                    .put(s, Item.of(pk("f"), "a", "3"), Condition.ifVersion(99)).commit());
            assertFalse(e instanceof LeaseLostException, "the caller's condition failed, not the lease: " + e);
            e.operationIndex().ifPresent(i -> assertEquals(1, i, "the index of the caller's operation"));
            assertEquals(Optional.empty(), await(s.get(pk("f"), "d")), "nothing of a failed transaction is written");
            assertTrue(l.isValid());
        }

        @Test
        @DisplayName("a holder paused past its TTL has every fenced write rejected after another took over")
        void pausedHolder() {
            assumeCapability(Capability.TRANSACTIONS);
            Store<String> s = kit();
            String name = leaseName("paused");
            String p = pk("paused");
            ManualTicker holderClock = new ManualTicker();
            ManualTicker contenderClock = new ManualTicker();
            int attempts = 0;
            int rejected = 0;
            int applied = 0;
            CoordinationFigures figures = new CoordinationFigures(storage.backend(), "lease paused holder");
            try {
                Lease old = held(await(manual(holderClock, "paused").tryAcquire(name, TTL)), "first");
                await(old.put(s, Item.of(p, "x", "old-1")));
                Leases contender = manual(contenderClock, "contender");
                assertEquals(Optional.empty(), await(contender.tryAcquire(name, TTL)));
                contenderClock.advance(TTL);
                Lease fresh = held(await(contender.tryAcquire(name, TTL)), "takeover after the TTL");
                assertTrue(fresh.token() > old.token());
                // The old holder was paused (its clock never moved): it still believes it holds the lease.
                assertTrue(old.isValid(), "the paused holder's own view; only the engine's fence check can stop it");
                List<CompletableFuture<?>> writes = new ArrayList<>();
                for (int i = 0; i < 5 * scale(); i++) {
                    writes.add(old.put(s, Item.of(p, "x", "old-" + (i + 2))));
                    writes.add(old.put(s, Item.of(p, "new-" + i, "old")));
                    writes.add(old.delete(s, Key.of(p, "x"), Condition.none()));
                    writes.add(old.transaction().put(s, Item.of(p, "tx-" + i, "old")).put(s, Item.of(p, "x", "tx")).commit());
                }
                for (CompletableFuture<?> w : writes) {
                    attempts++;
                    try {
                        w.get(60, TimeUnit.SECONDS);
                        applied++;
                    } catch (ExecutionException ex) {
                        if (ex.getCause() instanceof LeaseLostException) {
                            rejected++;
                        } else {
                            throw new AssertionError("a fenced write of the old holder failed with " + ex.getCause()
                                    + " instead of LeaseLostException", ex.getCause());
                        }
                    } catch (Exception ex) {
                        throw new AssertionError(ex);
                    }
                }
                assertEquals(0, applied, applied + " of " + attempts + " fenced writes of the old holder were applied "
                        + "after another holder took the lease over: the backend does not check the fence");
                assertEquals(List.of("x"), await(s.query(p, "")).stream().map(Item::sk).toList(),
                        "nothing of the old holder's fenced writes is in the store");
                assertEquals("old-1", await(s.get(p, "x")).orElseThrow().value());
                assertEquals(LeaseLoss.Reason.TAKEN_OVER, await(old.lost()).reason());
                await(fresh.put(s, Item.of(p, "x", "fresh")));
                assertEquals("fresh", await(s.get(p, "x")).orElseThrow().value());
            } finally {
                figures.put("fenced writes after takeover", attempts).put("rejected", rejected).put("applied", applied)
                        .print();
            }
        }

        @Test
        @DisplayName("after a release, fenced writes are rejected")
        void afterRelease() {
            assumeCapability(Capability.TRANSACTIONS);
            Lease l = held(await(manual(new ManualTicker(), "rel").tryAcquire(leaseName("rel"), TTL)), "first");
            assertTrue(await(l.release()));
            awaitFailure(LeaseLostException.class, l.put(kit(), Item.of(pk("rel"), "x", "late")));
            assertEquals(Optional.empty(), await(kit().get(pk("rel"), "x")));
        }

        @Test
        @DisplayName("without TRANSACTIONS leases work and fenced writes fail with UnsupportedCapabilityException")
        void unsupported() {
            assumeNoCapability(Capability.TRANSACTIONS);
            ManualTicker t = new ManualTicker();
            Lease l = held(await(manual(t, "bare").tryAcquire(leaseName("bare"), TTL)), "first");
            await(l.renew());
            UnsupportedCapabilityException e = awaitFailure(UnsupportedCapabilityException.class,
                    l.put(kit(), Item.of(pk("bare"), "x", "1")));
            assertEquals(Capability.TRANSACTIONS, e.capability());
            awaitFailure(UnsupportedCapabilityException.class, l.transaction().put(kit(), Item.of(pk("bare"), "y", "1")).commit());
            assertEquals(Optional.empty(), await(kit().get(pk("bare"), "x")));
            assertTrue(await(l.release()));
            Lease again = held(await(manual(t, "bare2").tryAcquire(leaseName("bare"), TTL)), "after release");
            assertTrue(again.token() > l.token());
        }
    }

    @Nested
    @DisplayName("contention (capability TRANSACTIONS)")
    class Contention {
        @Test
        @DisplayName("threads (and a second JVM) contend for one lease while incrementing an unprotected counter through fenced writes: the count is exact")
        void counter() throws Exception {
            assumeCapability(Capability.TRANSACTIONS);
            String name = leaseName("counter");
            String p = pk("counter");
            Store<String> s = kit();
            await(s.put(Item.of(p, "counter", "0")));
            int threads = contenders();
            int per = incrementsPerContender();
            Duration ttl = Duration.ofSeconds(30);
            boolean twoJvms = sharedAcrossProcesses();
            AtomicLong increments = new AtomicLong();
            AtomicLong rejected = new AtomicLong();
            AtomicLong acquisitions = new AtomicLong();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Map<Long, Long> tokenByValue = Collections.synchronizedMap(new TreeMap<>());
            String childResult = "none";
            long finalValue = -1;
            long started = System.nanoTime();
            CoordinationFigures figures = new CoordinationFigures(storage.backend(), "lease contention");
            ChildProcess child = null;
            try {
                if (twoJvms) {
                    child = ChildProcess.start(config(tempDir), "256m", Duration.ofMinutes(10).multipliedBy(scale()),
                            "lease-counter", name, p, String.valueOf(threads), String.valueOf(per),
                            String.valueOf(ttl.toMillis()), String.valueOf(pollInterval().toMillis()));
                    StringBuilder before = new StringBuilder();
                    assertNotNull(child.awaitLine("ready", before), "the child JVM exited before it was ready:\n" + before);
                }
                CountDownLatch go = new CountDownLatch(1);
                List<Thread> workers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    String owner = "parent-" + t;
                    Thread worker = new Thread(() -> {
                        try {
                            go.await();
                            Leases leases = storage.leases(LeaseOptions.builder().owner(owner)
                                    .pollInterval(pollInterval()).build());
                            int mine = 0;
                            while (mine < per) {
                                Lease l = leases.acquire(name, ttl, Duration.ofMinutes(5)).join();
                                acquisitions.incrementAndGet();
                                try {
                                    long n = Long.parseLong(s.get(p, "counter").join().orElseThrow().value());
                                    l.put(s, Item.of(p, "counter", Long.toString(n + 1))).join();
                                    tokenByValue.put(n + 1, l.token());
                                    mine++;
                                    increments.incrementAndGet();
                                } catch (RuntimeException e) {
                                    if (rootCause(e) instanceof LeaseLostException) {
                                        rejected.incrementAndGet();
                                    } else {
                                        throw e;
                                    }
                                } finally {
                                    l.release().exceptionally(e -> false).join();
                                }
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                    }, "lease-contender-" + t);
                    worker.start();
                    workers.add(worker);
                }
                if (child != null) {
                    child.send("go");
                }
                go.countDown();
                for (Thread w : workers) {
                    w.join();
                }
                if (failure.get() != null) {
                    throw new AssertionError("a contender failed: " + failure.get(), failure.get());
                }
                long childIncrements = 0;
                if (child != null) {
                    List<String> out = child.readToEnd();
                    int exit = child.waitFor();
                    childResult = out.stream().filter(l -> l.startsWith("result ")).findFirst().orElse("none");
                    assertEquals(0, exit, "the child JVM failed (hung: " + child.hung() + "):\n" + String.join("\n", out));
                    assertTrue(childResult.contains(" other=0"), "the child JVM's contenders failed: " + childResult
                            + "\n" + String.join("\n", out));
                    childIncrements = Long.parseLong(childResult.replaceAll(".*increments=(\\d+).*", "$1"));
                    assertEquals((long) threads * per, childIncrements, "the child's increments: " + childResult);
                }
                finalValue = Long.parseLong(await(s.get(p, "counter")).orElseThrow().value());
                long expected = (long) threads * per * (twoJvms ? 2 : 1);
                assertEquals(expected, increments.get() + childIncrements);
                assertEquals(expected, finalValue, "the unprotected counter lost or doubled increments: two holders "
                        + "wrote at once, and the fence did not stop the older one");
                long previous = 0;
                for (Map.Entry<Long, Long> e : new TreeMap<>(tokenByValue).entrySet()) {
                    assertTrue(e.getValue() > previous, "increment " + e.getKey() + " was made with token "
                            + e.getValue() + ", not greater than the token of an earlier increment (" + previous + ")");
                    previous = e.getValue();
                }
            } finally {
                if (child != null) {
                    child.close();
                }
                figures.put("jvms", twoJvms ? 2 : 1).put("threads per jvm", threads).put("increments per thread", per)
                        .put("parent increments", increments.get()).put("parent acquisitions", acquisitions.get())
                        .put("rejected fenced writes", rejected.get()).put("child", childResult.replace("result ", ""))
                        .put("final counter", finalValue)
                        .put("seconds", String.format("%.1f", (System.nanoTime() - started) / 1e9)).print();
            }
        }
    }

    @Nested
    @DisplayName("crashes and clocks")
    class CrashesAndClocks {
        @Test
        @DisplayName("kill -9 of the holder's process: another process acquires after the TTL, within a bound")
        void killedHolder() throws Exception {
            Assumptions.assumeTrue(sharedAcrossProcesses(), () -> "backend '" + storage.backend()
                    + "' cannot be opened by a second process (sharedAcrossProcesses() is false): no kill -9 test");
            String name = leaseName("killed");
            Duration ttl = killTtl();
            CoordinationFigures figures = new CoordinationFigures(storage.backend(), "lease kill -9");
            long childToken = -1;
            double seconds = -1;
            long token = -1;
            try (ChildProcess child = ChildProcess.start(config(tempDir), "256m", Duration.ofMinutes(5), "lease-hold",
                    name, String.valueOf(ttl.toMillis()))) {
                StringBuilder before = new StringBuilder();
                String held = child.awaitLine("held ", before);
                assertNotNull(held, "the child JVM did not acquire the lease:\n" + before);
                childToken = Long.parseLong(held.substring("held ".length()).trim());
                long start = await(storage.leases().describe(name)).orElseThrow().recordVersion();
                long wait = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (await(storage.leases().describe(name)).orElseThrow().recordVersion() < start + 2
                        && System.nanoTime() < wait) {
                    Thread.sleep(50);
                }
                child.kill();
                long killed = System.nanoTime();
                Leases leases = storage.leases(LeaseOptions.builder().owner("survivor").pollInterval(pollInterval()).build());
                Lease l = await(leases.acquire(name, ttl, ttl.plus(takeoverBound())));
                seconds = (System.nanoTime() - killed) / 1e9;
                token = l.token();
                assertTrue(token > childToken, "token " + token + " after the killed holder's " + childToken);
                assertTrue(seconds >= ttl.toMillis() / 1000.0, "taken over " + seconds + " s after the kill, before the "
                        + "TTL of " + ttl + " could have passed unchanged");
                assertTrue(await(l.release()));
            } finally {
                figures.put("ttl", ttl).put("killed holder token", childToken).put("new token", token)
                        .put("seconds from kill to takeover", String.format("%.2f", seconds))
                        .put("bound", "ttl + " + takeoverBound().toSeconds() + " s").print();
            }
        }

        /** Steps "real time" and reports how many steps had both holders valid. */
        private long overlapSteps(double rate, String name) {
            ManualTicker holderClock = new ManualTicker();
            ManualTicker contenderClock = new ManualTicker();
            long h0 = holderClock.nanos();
            long c0 = contenderClock.nanos();
            Lease holder = held(await(manual(holderClock, "holder").tryAcquire(name, TTL)), "first");
            Leases contender = manual(contenderClock, "contender");
            long step = TTL.toNanos() / 100;
            Lease taken = null;
            long overlaps = 0;
            // The contender's first look, then every step of the window where holder and contender change hands.
            List<Long> instants = new ArrayList<>(List.of(step));
            for (long real = TTL.toNanos() * 6 / 10; real <= TTL.toNanos() * 2; real += step) {
                instants.add(real);
            }
            for (long real : instants) {
                // The holder's clock runs slow, the contender's fast: the worst case for safety.
                holderClock.set(h0 + (long) (real * (1 - rate)));
                contenderClock.set(c0 + (long) (real * (1 + rate)));
                if (taken == null) {
                    taken = await(contender.tryAcquire(name, TTL)).orElse(null);
                }
                if (taken != null && holder.isValid()) {
                    overlaps++;
                }
                if (taken != null && !holder.isValid()) {
                    break;
                }
            }
            assertNotNull(taken, "the contender never took the lease over");
            return overlaps;
        }

        @Test
        @DisplayName("clock rates skewed within the documented bound never give two valid holders; beyond it they can")
        void skew() {
            double bound = 0.2 / (2 - 0.2); // safetyMargin / (2 ttl - safetyMargin), default margin ttl / 5
            double within = bound * 0.9;
            double beyond = bound * 2.5;
            long inside = -1;
            long outside = -1;
            CoordinationFigures figures = new CoordinationFigures(storage.backend(), "lease clock skew");
            try {
                inside = overlapSteps(within, leaseName("skew-in"));
                outside = overlapSteps(beyond, leaseName("skew-out"));
                assertEquals(0, inside, "with clock rates " + Math.round(within * 1000) / 10.0 + " % apart each way "
                        + "(within the documented " + Math.round(bound * 1000) / 10.0 + " %), two holders were valid");
                assertTrue(outside > 0, "beyond the bound an overlap is expected (this checks the simulation itself)");
            } finally {
                figures.put("documented bound", String.format("%.1f%%", bound * 100))
                        .put("skew within", String.format("%.1f%%", within * 100)).put("overlapping steps within", inside)
                        .put("skew beyond", String.format("%.1f%%", beyond * 100)).put("overlapping steps beyond", outside)
                        .put("steps per ttl", 100).print();
            }
        }

        @Test
        @DisplayName("wall clocks are never compared: moving the Storage's clock by days changes nothing")
        void wallClockJumps() {
            ManualTicker holderClock = new ManualTicker();
            ManualTicker contenderClock = new ManualTicker();
            Lease l = held(await(manual(holderClock, "h").tryAcquire(leaseName("wall"), TTL)), "first");
            Leases c = manual(contenderClock, "c");
            assertEquals(Optional.empty(), await(c.tryAcquire(leaseName("wall"), TTL)));
            clock.advance(Duration.ofDays(3));
            contenderClock.advance(TTL.dividedBy(2));
            assertEquals(Optional.empty(), await(c.tryAcquire(leaseName("wall"), TTL)));
            assertTrue(l.isValid());
            clock.advance(Duration.ofDays(-6));
            await(l.renew());
            contenderClock.advance(TTL);
            assertEquals(Optional.empty(), await(c.tryAcquire(leaseName("wall"), TTL)),
                    "the holder renewed: its record changed");
            assertTrue(l.isValid());
        }
    }
}
