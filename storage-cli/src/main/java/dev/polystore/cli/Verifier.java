package dev.polystore.cli;

import dev.polystore.Capability;
import dev.polystore.Key;
import dev.polystore.migration.Migration;
import dev.polystore.spi.ScanPlan;
import dev.polystore.migration.ScanResult;
import dev.polystore.migration.StoredItem;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Compares stores on two storages item by item without holding either in memory: both sides are
 * scanned and every item's 64-bit hash (key, payload, version, expiry) is summed into one of
 * {@value #BUCKETS} buckets chosen by its key; equal counts and sums in every bucket mean the same
 * store. Buckets that differ are scanned again, keeping only their keys, to list exactly which
 * keys are missing on the target, missing on the source, or differ. What {@code polystore verify}
 * runs. Reads only.
 *
 * <p>Under concurrent writes a verification reports what it saw: run it again until it reports 0
 * differences (the migration runbook does). {@link #verify} blocks, throws {@link JobException}
 * for bad input and the engine's {@code StoreException} for failures. Thread-safe.
 */
public final class Verifier {
    /** Key buckets per store: drill-down re-reads the keys of differing buckets only. */
    public static final int BUCKETS = 256;

    private final Migration source;
    private final Migration target;
    private final int segments;
    private final int pageSize;

    public Verifier(Migration source, Migration target, int segments, int pageSize) {
        this.source = Objects.requireNonNull(source, "source");
        this.target = Objects.requireNonNull(target, "target");
        if (segments < 1 || segments > CopyOptions.MAX_SEGMENTS) {
            throw new JobException("--segments must be from 1 to " + CopyOptions.MAX_SEGMENTS + ", got " + segments);
        }
        if (pageSize < 1 || pageSize > Migration.MAX_PAGE_ITEMS) {
            throw new JobException("--page-size must be from 1 to " + Migration.MAX_PAGE_ITEMS + ", got " + pageSize);
        }
        this.segments = segments;
        this.pageSize = pageSize;
    }

    /**
     * Compares {@code stores} (empty: every store either side has) and lists at most
     * {@code maxKeys} keys of each kind of difference per store.
     */
    public VerifyReport verify(List<String> stores, int maxKeys) {
        for (Migration m : List.of(source, target)) {
            if (!m.capabilities().has(Capability.SCAN)) {
                throw new JobException("backend '" + m.backend() + "' cannot be scanned (no SCAN capability)");
            }
        }
        List<String> names;
        if (stores.isEmpty()) {
            TreeSet<String> all = new TreeSet<>(BatchWriter.join(source.stores()));
            all.addAll(BatchWriter.join(target.stores()));
            names = List.copyOf(all);
        } else {
            names = List.copyOf(stores);
        }
        List<String> sourceStores = BatchWriter.join(source.stores());
        List<String> targetStores = BatchWriter.join(target.stores());
        List<VerifyReport.StoreDiff> diffs = new ArrayList<>();
        for (String store : names) {
            diffs.add(verifyStore(store, sourceStores.contains(store), targetStores.contains(store), maxKeys));
        }
        return new VerifyReport(diffs);
    }

    private VerifyReport.StoreDiff verifyStore(String store, boolean onSource, boolean onTarget, int maxKeys) {
        long[] sCount = new long[BUCKETS];
        long[] sSum = new long[BUCKETS];
        long[] tCount = new long[BUCKETS];
        long[] tSum = new long[BUCKETS];
        if (onSource) {
            scan(source, store, item -> add(item, sCount, sSum));
        }
        if (onTarget) {
            scan(target, store, item -> add(item, tCount, tSum));
        }
        BitSet differ = new BitSet(BUCKETS);
        for (int b = 0; b < BUCKETS; b++) {
            if (sCount[b] != tCount[b] || sSum[b] != tSum[b]) {
                differ.set(b);
            }
        }
        long sourceItems = Arrays.stream(sCount).sum();
        long targetItems = Arrays.stream(tCount).sum();
        String sDigest = ItemDigest.hex(Arrays.stream(sSum).sum());
        String tDigest = ItemDigest.hex(Arrays.stream(tSum).sum());
        if (differ.isEmpty()) {
            return new VerifyReport.StoreDiff(store, sourceItems, targetItems, sDigest, tDigest, 0, 0, 0, 0,
                    List.of(), List.of(), List.of());
        }
        Map<Key, Long> s = new HashMap<>();
        Map<Key, Long> t = new HashMap<>();
        if (onSource) {
            scan(source, store, item -> keep(item, differ, s));
        }
        if (onTarget) {
            scan(target, store, item -> keep(item, differ, t));
        }
        List<Key> missingOnTarget = new ArrayList<>();
        List<Key> differing = new ArrayList<>();
        List<Key> missingOnSource = new ArrayList<>();
        s.forEach((k, h) -> {
            Long other = t.get(k);
            if (other == null) {
                missingOnTarget.add(k);
            } else if (!other.equals(h)) {
                differing.add(k);
            }
        });
        t.keySet().forEach(k -> {
            if (!s.containsKey(k)) {
                missingOnSource.add(k);
            }
        });
        return new VerifyReport.StoreDiff(store, sourceItems, targetItems, sDigest, tDigest, differ.cardinality(),
                missingOnTarget.size(), missingOnSource.size(), differing.size(), first(missingOnTarget, maxKeys),
                first(missingOnSource, maxKeys), first(differing, maxKeys));
    }

    private static List<Key> first(List<Key> keys, int max) {
        List<Key> sorted = new ArrayList<>(keys);
        sorted.sort((a, b) -> a.pk().equals(b.pk()) ? a.sk().compareTo(b.sk()) : a.pk().compareTo(b.pk()));
        return Collections.unmodifiableList(sorted.subList(0, Math.min(Math.max(max, 0), sorted.size())));
    }

    private static void add(StoredItem item, long[] count, long[] sum) {
        int b = ItemDigest.bucket(item.key(), BUCKETS);
        count[b]++;
        sum[b] += ItemDigest.of(item);
    }

    private static void keep(StoredItem item, BitSet buckets, Map<Key, Long> into) {
        if (buckets.get(ItemDigest.bucket(item.key(), BUCKETS))) {
            into.put(item.key(), ItemDigest.of(item));
        }
    }

    private void scan(Migration side, String store, Consumer<StoredItem> each) {
        ScanPlan plan = BatchWriter.join(side.plan(store, segments));
        for (String start : plan.positions()) {
            for (String p = start; p != null; ) {
                ScanResult page = BatchWriter.join(side.read(store, p, pageSize));
                page.items().forEach(each);
                p = page.next();
            }
        }
    }
}
