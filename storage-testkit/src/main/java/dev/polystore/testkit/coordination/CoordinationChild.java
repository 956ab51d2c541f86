package dev.polystore.testkit.coordination;

import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import dev.polystore.Store;
import dev.polystore.event.EventHandler;
import dev.polystore.event.EventStore;
import dev.polystore.event.Subscription;
import dev.polystore.event.SubscriptionOptions;
import dev.polystore.lease.Lease;
import dev.polystore.lease.LeaseLostException;
import dev.polystore.lease.LeaseOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The program the coordination contracts run in child JVMs ({@link ChildProcess}). Not for users:
 * a test fixture whose standard output is its protocol with the parent test.
 *
 * <p>{@code CoordinationChild <mode> <key=value of the storage config>... -- <mode args>}; modes:
 * <ul>
 *   <li>{@code lease-counter <lease> <pk> <threads> <increments> <ttlMillis> <pollMillis>}: prints
 *       {@code ready}, waits for {@code go}, then each thread makes {@code increments} increments of
 *       an unprotected counter (store {@code kit}, {@code (pk, counter)}) under the lease, through
 *       fenced puts; prints {@code result increments=… rejected=… other=…};</li>
 *   <li>{@code lease-hold <lease> <ttlMillis>}: acquires with automatic renewal, prints
 *       {@code held <token>}, and holds until killed;</li>
 *   <li>{@code subscribe <stream> <name> <checkpointEvery>}: a named subscription whose handler
 *       prints {@code event <revision> <id>} and then acknowledges; prints {@code caught-up <revision>};
 *       runs until killed;</li>
 *   <li>{@code stream-read <stream>}: reads the stream with {@code forEach}, checks that revisions
 *       follow each other, prints {@code result events=… ordered=… peakHeapMiB=… maxHeapMiB=…}.</li>
 * </ul>
 */
public final class CoordinationChild {
    private CoordinationChild() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        String mode = args[0];
        StorageConfig.Builder builder = StorageConfig.builder();
        int i = 1;
        for (; i < args.length && !args[i].equals("--"); i++) {
            int eq = args[i].indexOf('=');
            String key = args[i].substring(0, eq);
            String value = args[i].substring(eq + 1);
            if (key.equals("backend")) {
                builder.backend(value);
            } else {
                builder.set(key, value);
            }
        }
        List<String> rest = List.of(args).subList(i + 1, args.length);
        try (Storage storage = StoreFactory.open(builder.build())) {
            switch (mode) {
                case "lease-counter" -> leaseCounter(storage, rest, out);
                case "lease-hold" -> leaseHold(storage, rest, out);
                case "subscribe" -> subscribe(storage, rest, out);
                case "stream-read" -> streamRead(storage, rest, out);
                default -> throw new IllegalArgumentException("unknown mode " + mode);
            }
        }
        out.flush();
        System.exit(0);
    }

    private static void leaseCounter(Storage storage, List<String> a, PrintStream out) throws Exception {
        String lease = a.get(0);
        String pk = a.get(1);
        int threads = Integer.parseInt(a.get(2));
        int increments = Integer.parseInt(a.get(3));
        Duration ttl = Duration.ofMillis(Long.parseLong(a.get(4)));
        Duration poll = Duration.ofMillis(Long.parseLong(a.get(5)));
        Store<String> counter = storage.store("kit", Codec.utf8());
        counter.get(pk, "counter").join();
        AtomicLong done = new AtomicLong();
        AtomicLong rejected = new AtomicLong();
        AtomicLong other = new AtomicLong();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String owner = "child-" + ProcessHandle.current().pid() + "-" + t;
            Thread worker = new Thread(() -> {
                try {
                    go.await();
                    var leases = storage.leases(LeaseOptions.builder().owner(owner).pollInterval(poll).build());
                    int mine = 0;
                    while (mine < increments) {
                        Lease l = leases.acquire(lease, ttl, Duration.ofMinutes(5)).join();
                        try {
                            long n = counter.get(pk, "counter").join().map(it -> Long.parseLong(it.value())).orElse(0L);
                            l.put(counter, Item.of(pk, "counter", Long.toString(n + 1))).join();
                            mine++;
                            done.incrementAndGet();
                        } catch (RuntimeException e) {
                            if (LeaseContract.rootCause(e) instanceof LeaseLostException) {
                                rejected.incrementAndGet();
                            } else {
                                other.incrementAndGet();
                            }
                        } finally {
                            l.release().exceptionally(e -> false).join();
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    other.incrementAndGet();
                } catch (RuntimeException e) {
                    other.incrementAndGet();
                    e.printStackTrace(out);
                }
            });
            worker.start();
            workers.add(worker);
        }
        out.println("ready");
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        if (!"go".equals(in.readLine())) {
            throw new IllegalStateException("expected go");
        }
        go.countDown();
        for (Thread w : workers) {
            w.join();
        }
        out.println("result increments=" + done.get() + " rejected=" + rejected.get() + " other=" + other.get());
    }

    private static void leaseHold(Storage storage, List<String> a, PrintStream out) throws Exception {
        Duration ttl = Duration.ofMillis(Long.parseLong(a.get(1)));
        Lease l = storage.leases(LeaseOptions.builder().owner("child-" + ProcessHandle.current().pid()).build())
                .acquire(a.get(0), ttl, Duration.ofMinutes(5)).join();
        out.println("held " + l.token());
        out.flush();
        new CountDownLatch(1).await();
    }

    private static void subscribe(Storage storage, List<String> a, PrintStream out) throws Exception {
        EventStore<String> events = storage.events(Codec.utf8());
        Subscription s = events.subscribe(a.get(0), SubscriptionOptions.builder().name(a.get(1))
                .checkpointEvery(Integer.parseInt(a.get(2))).pollInterval(Duration.ofMillis(20)).build(),
                EventHandler.of(e -> {
                    out.println("event " + e.revision() + " " + e.id());
                    out.flush();
                }));
        s.caughtUp().thenAccept(r -> {
            out.println("caught-up " + r);
            out.flush();
        });
        out.println("subscribed");
        out.flush();
        CompletableFuture<Void> done = s.done();
        done.join();
    }

    private static void streamRead(Storage storage, List<String> a, PrintStream out) {
        EventStore<byte[]> events = storage.events(Codec.bytes());
        AtomicLong expected = new AtomicLong();
        AtomicLong disorder = new AtomicLong();
        AtomicLong peak = new AtomicLong();
        long n = events.forEach(a.get(0), 0, e -> {
            if (e.revision() != expected.getAndIncrement()) {
                disorder.incrementAndGet();
            }
            if ((e.revision() & 0x3FF) == 0) {
                Runtime r = Runtime.getRuntime();
                peak.accumulateAndGet(r.totalMemory() - r.freeMemory(), Math::max);
            }
        }).join();
        long pools = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pools += pool.getPeakUsage().getUsed();
            }
        }
        out.println("result events=" + n + " ordered=" + (disorder.get() == 0) + " peakHeapMiB=" + (peak.get() >> 20)
                + " peakPoolsMiB=" + (pools >> 20) + " maxHeapMiB=" + (Runtime.getRuntime().maxMemory() >> 20));
    }
}
