package dev.polystore.cli.command;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.polystore.Capability;
import dev.polystore.Storage;
import dev.polystore.StoreException;
import dev.polystore.cli.JobException;
import dev.polystore.cli.StoreTally;
import dev.polystore.migration.Migration;
import dev.polystore.migration.ScanResult;
import dev.polystore.migration.StoredItem;
import dev.polystore.spi.ScanPlan;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code polystore stats}: per store, how many items and bytes, by reading all of it. */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = {"Counts the items and bytes of each store.",
                "It READS THE WHOLE STORE (a full scan in parallel segments, as copy does): on a large",
                "store that takes as long as an export and costs the same read capacity (DynamoDB: the",
                "whole table's read units). The engine's own estimate is printed beside the exact count."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "2:usage error", "3:bad input (config, a store that does not exist, no SCAN)",
                "4:an engine failed"})
final class StatsCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParentCommand
    Polystore parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ConfigOption storage = new ConfigOption();

    @Option(names = "--stores", split = ",", paramLabel = "NAME", description = "Stores to count (default: every store).")
    List<String> stores = List.of();

    @Mixin
    ScanOptions scan = new ScanOptions();

    @Mixin
    ProgressOptions progress = new ProgressOptions();

    @Mixin
    Polystore.Output output = new Polystore.Output();

    /** One store's figures. */
    record Stats(String store, long items, long payloadBytes, long keyBytes, long largestItemBytes,
            long expiredSkipped, long estimatedItems) {
        Stats plus(Stats o) {
            return new Stats(store, items + o.items, payloadBytes + o.payloadBytes, keyBytes + o.keyBytes,
                    Math.max(largestItemBytes, o.largestItemBytes), expiredSkipped + o.expiredSkipped, estimatedItems);
        }
    }

    @Override
    public Integer call() {
        scan.validate();
        try (Storage s = parent.open(storage.config)) {
            Migration m = Migration.of(s);
            if (!m.capabilities().has(Capability.SCAN)) {
                throw new JobException("backend '" + m.backend() + "' cannot be scanned (no SCAN capability)");
            }
            List<String> existing = m.stores().join();
            List<String> names = stores.isEmpty() ? existing : stores;
            for (String n : names) {
                if (!existing.contains(n)) {
                    throw new JobException("store '" + n + "' does not exist (" + m.backend() + "); it has " + existing);
                }
            }
            List<Stats> all = new ArrayList<>();
            try (ProgressDisplay display = progress.display(spec, output)) {
                for (String store : names) {
                    all.add(count(m, store, display));
                }
            }
            print(all);
            return Polystore.OK;
        }
    }

    private Stats count(Migration m, String store, ProgressDisplay display) {
        ScanPlan plan = join(m.plan(store, scan.segments));
        display.storeStarted(store, scan.segments, plan.estimatedItems(), new StoreTally(store, 0, 0, 0, 0, 0, 0, 0));
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(scan.segments, 8), r -> {
            Thread t = new Thread(r, "polystore-stats");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Stats>> futures = new ArrayList<>();
            for (int i = 0; i < plan.positions().size(); i++) {
                int segment = i;
                String start = plan.positions().get(i);
                futures.add(pool.submit(() -> {
                    Stats st = new Stats(store, 0, 0, 0, 0, 0, plan.estimatedItems());
                    for (String p = start; p != null; ) {
                        ScanResult page = join(m.read(store, p, scan.pageSize));
                        long items = 0;
                        long payload = 0;
                        long keys = 0;
                        long largest = 0;
                        for (StoredItem item : page.items()) {
                            int k = item.key().pk().getBytes(StandardCharsets.UTF_8).length
                                    + item.key().sk().getBytes(StandardCharsets.UTF_8).length;
                            items++;
                            payload += item.payload().length;
                            keys += k;
                            largest = Math.max(largest, k + item.payload().length);
                        }
                        st = st.plus(new Stats(store, items, payload, keys, largest, page.expiredSkipped(), -1));
                        display.page(store, segment, new StoreTally(store, items, 0, 0, 0, 0, page.expiredSkipped(), payload));
                        p = page.next();
                    }
                    return st;
                }));
            }
            Stats total = new Stats(store, 0, 0, 0, 0, 0, plan.estimatedItems());
            for (Future<Stats> f : futures) {
                try {
                    total = total.plus(f.get());
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException re ? re
                            : new StoreException("counting store " + store + " failed", e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new JobException("interrupted", e);
                }
            }
            display.storeDone(new StoreTally(store, total.items(), 0, 0, 0, 0, total.expiredSkipped(),
                    total.payloadBytes()));
            return total;
        } finally {
            pool.shutdownNow();
        }
    }

    private void print(List<Stats> all) {
        PrintWriter w = spec.commandLine().getOut();
        if (output.json) {
            ObjectNode root = JSON.createObjectNode();
            root.put("command", "stats");
            root.put("fullScan", true);
            ArrayNode arr = root.putArray("stores");
            long items = 0;
            long bytes = 0;
            for (Stats st : all) {
                arr.addObject().put("store", st.store()).put("items", st.items()).put("payloadBytes", st.payloadBytes())
                        .put("keyBytes", st.keyBytes()).put("largestItemBytes", st.largestItemBytes())
                        .put("expiredSkipped", st.expiredSkipped()).put("estimatedItems", st.estimatedItems());
                items += st.items();
                bytes += st.payloadBytes();
            }
            root.putObject("total").put("items", items).put("payloadBytes", bytes);
            w.println(root);
        } else if (!output.quiet) {
            long items = 0;
            long bytes = 0;
            for (Stats st : all) {
                w.printf("store %s: %d items, %d payload bytes, %d key bytes, largest item %d bytes; "
                        + "%d expired (not counted); engine's estimate %s%n", st.store(), st.items(), st.payloadBytes(),
                        st.keyBytes(), st.largestItemBytes(), st.expiredSkipped(),
                        st.estimatedItems() < 0 ? "none" : String.valueOf(st.estimatedItems()));
                items += st.items();
                bytes += st.payloadBytes();
            }
            w.printf("total: %d items, %d payload bytes in %d stores (read in full)%n", items, bytes, all.size());
        }
        w.flush();
    }

    static <T> T join(java.util.concurrent.CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof StoreException se) {
                throw se;
            }
            throw e;
        }
    }
}
