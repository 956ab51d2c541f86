package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where reads run: {@code read_on_caller} on (the default) and off, and callers outnumbering connections. */
class ReadThreadsTest {
    @TempDir
    Path dir;

    @Test
    void byDefaultAReadRunsOnTheCallersThreadAndReturnsACompletedFuture() {
        try (Storage storage = Sqlite.open(dir.resolve("a.db"))) {
            Store<String> s = Sqlite.strings(storage);
            await(s.put(Item.of("p", "k", "v")));
            await(s.get("p", "k")); // the table is prepared

            CompletableFuture<Optional<Item<String>>> get = s.get("p", "k");
            assertTrue(get.isDone(), "with read_on_caller (default) and an idle reader, get must be complete on return");
            assertEquals("v", get.join().orElseThrow().value());
            AtomicReference<String> thread = new AtomicReference<>();
            s.query(Query.partition("p")).thenRun(() -> thread.set(Thread.currentThread().getName())).join();
            assertEquals(Thread.currentThread().getName(), thread.get(), "a dependent stage of an inline read runs on the caller's thread");
            CompletableFuture<?> batch = s.batchGet(List.of(new Key("p", "k"), new Key("p", "none")));
            assertTrue(batch.isDone(), "batch gets run inline too");
        }
    }

    @Test
    void withReadOnCallerOffReadsCompleteOnCallbackThreads() {
        try (Storage storage = Sqlite.open(dir.resolve("b.db"), Map.of("read_on_caller", "false"))) {
            Store<String> s = Sqlite.strings(storage);
            await(s.put(Item.of("p", "k", "v")));
            for (int i = 0; i < 20; i++) {
                AtomicReference<String> thread = new AtomicReference<>();
                Optional<Item<String>> found = await(s.get("p", "k").whenComplete((v, e) ->
                        thread.set(Thread.currentThread().getName())));
                assertEquals("v", found.orElseThrow().value());
                assertTrue(thread.get().matches("polystore-sqlite-\\d+-callback-\\d+")
                                || thread.get().equals(Thread.currentThread().getName()),
                        "a read's future completes on a callback thread (or, if already complete, its stage runs on the caller): "
                                + thread.get());
                assertFalse(thread.get().contains("-reader-"), "a future must never complete on a reader thread: " + thread.get());
            }
        }
    }

    @Test
    void moreCallersThanReaderConnectionsAllGetAnswersWithoutWaitingErrors() throws Exception {
        int threads = 8;
        int readsEach = 400;
        try (Storage storage = Sqlite.open(dir.resolve("c.db"), Map.of("readers", "1"))) {
            Store<String> s = Sqlite.strings(storage);
            List<Item<String>> items = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                items.add(Item.of("p", String.format("k%03d", i), "v" + i));
            }
            await(s.batchPut(items));
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                CountDownLatch start = new CountDownLatch(1);
                AtomicInteger checked = new AtomicInteger();
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int seed = t;
                    done.add(pool.submit(() -> {
                        start.await();
                        List<CompletableFuture<?>> pending = new ArrayList<>();
                        for (int i = 0; i < readsEach; i++) {
                            int n = (seed * 31 + i) % 50;
                            if (i % 10 == 0) {
                                pending.add(s.query("p", "k00").thenAccept(page -> {
                                    assertEquals(10, page.size());
                                    checked.incrementAndGet();
                                }));
                            } else {
                                pending.add(s.get("p", String.format("k%03d", n)).thenAccept(found -> {
                                    assertEquals("v" + n, found.orElseThrow().value());
                                    checked.incrementAndGet();
                                }));
                            }
                        }
                        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                        return null;
                    }));
                }
                start.countDown();
                for (Future<?> f : done) {
                    f.get(120, TimeUnit.SECONDS);
                }
                assertEquals(threads * readsEach, checked.get(), "every read answered and checked");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void closeWhileCallersReadLeavesNoFuturePendingAndFailsOnlyAsUnavailable() throws Exception {
        Storage storage = Sqlite.open(dir.resolve("d.db"), Map.of("readers", "2"));
        Store<String> s = Sqlite.strings(storage);
        await(s.put(Item.of("p", "k", "v")));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<CompletableFuture<?>> reads = java.util.Collections.synchronizedList(new ArrayList<>());
        CountDownLatch running = new CountDownLatch(4);
        List<Future<?>> callers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            callers.add(pool.submit(() -> {
                running.countDown();
                for (int i = 0; i < 100_000; i++) {
                    CompletableFuture<?> f = i % 2 == 0 ? s.get("p", "k") : s.query("p", "");
                    reads.add(f);
                    if (f.isCompletedExceptionally()) {
                        return null; // closed
                    }
                }
                return null;
            }));
        }
        running.await();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (reads.size() < 400 && System.nanoTime() < deadline) {
            Thread.onSpinWait(); // until the callers are well into their reads
        }
        storage.close();
        for (Future<?> c : callers) {
            c.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        int ok = 0;
        int unavailable = 0;
        synchronized (reads) {
            for (CompletableFuture<?> f : reads) {
                try {
                    f.get(60, TimeUnit.SECONDS);
                    ok++;
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable cause = e.getCause() instanceof CompletionException ce ? ce.getCause() : e.getCause();
                    if (!(cause instanceof UnavailableException)) {
                        fail("a read racing close() failed with something other than UnavailableException: " + cause, cause);
                    }
                    unavailable++;
                }
            }
        }
        assertTrue(ok > 0, "some reads ran before close");
        assertTrue(unavailable > 0, "reads after close fail as unavailable");
        assertTrue(reads.stream().allMatch(CompletableFuture::isDone));
        StoreException late = Sqlite.failure(UnavailableException.class, s.get("p", "k"));
        assertTrue(late.retryable());
    }
}
