package dev.polystore.mirror;

import dev.polystore.Capabilities;
import dev.polystore.Capability;
import dev.polystore.Condition;
import dev.polystore.ConfigurationException;
import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.spi.ImportMode;
import dev.polystore.spi.ImportOutcome;
import dev.polystore.spi.ScanPlan;
import dev.polystore.mirror.RepairLog.Entry;
import dev.polystore.spi.ChangeNotifier;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.ScanPage;
import dev.polystore.spi.SearchIndex;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A backend over two: every write goes to the <b>primary</b>, which decides it (conditions,
 * transactions, versions), and then, with the primary's version and expiry, to the
 * <b>secondary</b> through its {@link Capability#IMPORT}; every read comes from the primary. For
 * moving an application between engines without downtime (see {@code docs/migration.md}).
 *
 * <p><b>When a write completes.</b> After the primary acknowledged it and the secondary either
 * acknowledged it too or the key was recorded, fsynced, in the repair log. A failed secondary write
 * never fails the caller's write: the primary holds it, and the key is written to the secondary
 * again, from the primary's current item, by {@link #repair()} (at open, every
 * {@code repair_interval_ms}, and on demand) until that succeeds. A failed primary write fails as
 * the primary failed and is not sent to the secondary; one whose outcome is unknown
 * ({@link OutcomeUnknownException}) is also recorded for repair, since the primary may hold it.
 *
 * <p><b>Order.</b> Writes of one key through this backend reach the secondary in the order the
 * primary applied them (writes of a key are sequenced: the next starts when the previous one's
 * secondary write finished). Writes of one key from two processes, each with its own mirror, are
 * not ordered with each other on the secondary: the secondary import keeps the higher version
 * ({@link ImportMode#IF_NEWER}), and {@code polystore verify} is the backstop.
 *
 * <p><b>Capabilities</b> are those both backends have (with the lower limits), so that whatever
 * the application uses keeps working when primary and secondary are swapped. Transactions are
 * atomic on the primary only: the secondary receives their writes one by one.
 *
 * <p>Thread-safe. {@link #close()} closes both backends and the repair log.
 */
public final class MirrorBackend implements StorageBackend {
    private static final Logger LOG = LoggerFactory.getLogger(MirrorBackend.class);
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(10);

    private final StorageBackend primary;
    private final StorageBackend secondary;
    private final RepairLog log;
    private final Clock clock;
    private final Capabilities capabilities;
    private final ExecutorService executor;
    private final ScheduledExecutorService repairTimer;
    private final Object sequencerLock = new Object();
    private final Map<Entry, CompletableFuture<Void>> tails = new HashMap<>();
    private final Set<String> prepared = ConcurrentHashMap.newKeySet();
    /** Keys that could not be written to the repair log (it failed): repaired from memory, health reports it. */
    private final Set<Entry> unrecorded = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean repairing = new AtomicBoolean();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong secondaryFailures = new AtomicLong();

    private MirrorBackend(StorageBackend primary, StorageBackend secondary, RepairLog log, Duration repairInterval,
                          Clock clock) {
        this.primary = primary;
        this.secondary = secondary;
        this.log = log;
        this.clock = clock;
        this.capabilities = intersection(primary.capabilities(), secondary.capabilities());
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "polystore-mirror-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        if (repairInterval.isZero()) {
            this.repairTimer = null;
        } else {
            this.repairTimer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "polystore-mirror-repair");
                t.setDaemon(true);
                return t;
            });
            long ms = repairInterval.toMillis();
            repairTimer.scheduleWithFixedDelay(this::repairQuietly, ms, ms, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Opens a mirror over two open backends; the mirror owns them from now on (closes them). Keys
     * left in the repair log by an earlier run are repaired in the background right away.
     *
     * @param repairLog the repair log file; created with its folders if missing
     * @param repairInterval how often recorded keys are repaired; zero: only at open and on {@link #repair()}
     * @param clock the clock both backends decide expiry by
     * @throws ConfigurationException if the secondary lacks {@link Capability#IMPORT}, or the repair
     *         log cannot be opened (naming the file); the backends are not closed then
     */
    public static MirrorBackend open(StorageBackend primary, StorageBackend secondary, Path repairLog,
                                     Duration repairInterval, Clock clock) {
        if (!secondary.capabilities().has(Capability.IMPORT)) {
            throw new ConfigurationException("the mirror's secondary (" + secondary.name()
                    + ") lacks the IMPORT capability the mirror writes it with");
        }
        RepairLog log;
        try {
            log = RepairLog.open(repairLog);
        } catch (IOException e) {
            throw new ConfigurationException("storage.mirror.repair_log = \"" + repairLog + "\": cannot be opened ("
                    + e.getMessage() + "): expected a writable file path", e);
        }
        MirrorBackend mirror = new MirrorBackend(primary, secondary, log, repairInterval, clock);
        if (log.size() > 0) {
            LOG.info("Mirror: {} key(s) left in the repair log {} are written to the secondary again", log.size(),
                    log.file());
            mirror.executor.execute(mirror::repairQuietly);
        }
        return mirror;
    }

    /** The backend writes go to first and reads come from. */
    public StorageBackend primary() {
        return primary;
    }

    /** The backend writes are copied to. */
    public StorageBackend secondary() {
        return secondary;
    }

    /** How many keys wait to be written to the secondary again. */
    public int pendingRepairs() {
        return log.size() + unrecorded.size();
    }

    /**
     * Writes every key recorded for repair to the secondary again, from the primary's current
     * item (or deletes it there when the primary has none), and drops the keys that succeeded from
     * the repair log. Never completes exceptionally.
     *
     * @return the number of keys still waiting for repair afterwards
     */
    public CompletableFuture<Integer> repair() {
        List<Entry> entries = new ArrayList<>(log.pending());
        entries.addAll(unrecorded);
        if (entries.isEmpty() || closed.get()) {
            return CompletableFuture.completedFuture(pendingRepairs());
        }
        List<Entry> repaired = java.util.Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<Void>> all = new ArrayList<>();
        for (Entry e : entries) {
            all.add(sequenced(List.of(e), () -> resync(e)).handle((v, x) -> {
                if (x == null) {
                    repaired.add(e);
                }
                return null;
            }));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).handle((v, x) -> {
            unrecorded.removeAll(repaired);
            try {
                log.remove(new ArrayList<>(repaired));
            } catch (IOException e) {
                LOG.warn("Mirror: the repair log {} could not be rewritten ({}); repaired keys stay listed and are "
                        + "written again later", log.file(), e.toString());
            }
            int left = pendingRepairs();
            if (!repaired.isEmpty() || left > 0) {
                LOG.info("Mirror repair: {} key(s) written to the secondary again, {} still waiting", repaired.size(),
                        left);
            }
            return left;
        });
    }

    /**
     * Makes every item the secondary holds in {@code table} the primary's: scans the secondary
     * ({@link Capability#SCAN}) and writes again, in the mirror's order for the key, each key whose
     * item differs from the primary's or that the primary lacks (deleting it there). For the step
     * after a backfill: a {@code polystore copy} that read an item before the application deleted
     * it through the mirror can bring it back to the secondary after the mirror deleted it there
     * (verify lists such keys as missing on the source); the copy never deletes. Keys the secondary
     * lacks are the copy's part. Reads the whole secondary store: not for a request path.
     *
     * @return how many keys were written again; fails with {@link dev.polystore.UnsupportedCapabilityException}
     *         if the secondary cannot scan, or with the engine's failure (nothing is left half done: run it again)
     */
    public CompletableFuture<Long> reconcile(String table) {
        if (!secondary.capabilities().has(Capability.SCAN)) {
            return CompletableFuture.failedFuture(new dev.polystore.UnsupportedCapabilityException(secondary.name(),
                    Capability.SCAN));
        }
        AtomicLong fixed = new AtomicLong();
        return admit().thenCompose(v -> prepareBoth(table)).thenCompose(v -> secondary.scanSegments(table, 1))
                .thenCompose(plan -> reconcilePages(table, plan.positions().get(0), fixed))
                .thenApply(v -> fixed.get());
    }

    private CompletableFuture<Void> reconcilePages(String table, String position, AtomicLong fixed) {
        return secondary.scan(table, position, 500).thenCompose(page -> {
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (RawItem held : page.items()) {
                all.add(primary.get(table, held.key()).thenCompose(p -> {
                    if (p.isPresent() && p.get().equals(held)) {
                        return CompletableFuture.completedFuture(null);
                    }
                    fixed.incrementAndGet();
                    return sequenced(List.of(new Entry(table, held.key())), () -> resync(new Entry(table, held.key())));
                }));
            }
            CompletableFuture<Void> done = CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
            return page.next() == null ? done : done.thenCompose(v -> reconcilePages(table, page.next(), fixed));
        });
    }

    private void repairQuietly() {
        if (!repairing.compareAndSet(false, true)) {
            return;
        }
        try {
            repair().get(10, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            LOG.warn("Mirror repair pass failed: {}", e.toString());
        } finally {
            repairing.set(false);
        }
    }

    /** Makes the secondary's item at {@code e} the primary's current one. */
    private CompletableFuture<Void> resync(Entry e) {
        return prepareBoth(e.table())
                .thenCompose(v -> primary.get(e.table(), e.key()))
                .thenCompose(item -> {
                    if (item.isPresent()) {
                        return secondary.importItems(e.table(), List.of(copy(item.get())), ImportMode.OVERWRITE)
                                .thenAccept(outcomes -> {
                                    ImportOutcome o = outcomes.get(0);
                                    if (o.status() == ImportOutcome.Status.FAILED) {
                                        throw o.failure();
                                    }
                                });
                    }
                    return secondary.delete(new WriteOp.Delete(e.table(), e.key(), Condition.none()))
                            .thenApply(existed -> null);
                });
    }

    private CompletableFuture<Void> prepareBoth(String table) {
        if (prepared.contains(table)) {
            return CompletableFuture.completedFuture(null);
        }
        return primary.prepareTable(table).thenCompose(v -> secondary.prepareTable(table))
                .thenRun(() -> prepared.add(table));
    }

    // ------------------------------------------------------------------ capabilities

    private static Capabilities intersection(Capabilities p, Capabilities s) {
        EnumSet<Capability> both = EnumSet.noneOf(Capability.class);
        for (Capability c : Capability.values()) {
            // Native index entries are never declared: the mirror offers no accelerator (one side's
            // would write around the other), so indexed stores keep their entries as items, mirrored.
            if (p.has(c) && s.has(c) && c != Capability.NATIVE_INDEXES) {
                both.add(c);
            }
        }
        return new Capabilities(both, Math.min(p.maxTransactionItems(), s.maxTransactionItems()),
                Math.min(p.maxTransactionBytes(), s.maxTransactionBytes()),
                Math.min(p.maxBatchGetItems(), s.maxBatchGetItems()),
                Math.min(p.maxBatchWriteItems(), s.maxBatchWriteItems()),
                p.transactionsAcrossPartitions() && s.transactionsAcrossPartitions());
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    // ------------------------------------------------------------------ reads: the primary

    @Override
    public CompletableFuture<Void> prepareTable(String table) {
        return admit().thenCompose(v -> prepareBoth(table));
    }

    @Override
    public CompletableFuture<Optional<RawItem>> get(String table, Key key) {
        return primary.get(table, key);
    }

    @Override
    public CompletableFuture<RawPage> query(QuerySpec query) {
        return primary.query(query);
    }

    @Override
    public CompletableFuture<List<RawItem>> batchGet(String table, List<Key> keys) {
        return primary.batchGet(table, keys);
    }

    @Override
    public Optional<SearchIndex> searchIndex() {
        return capabilities.has(Capability.NATIVE_SEARCH) ? primary.searchIndex() : Optional.empty();
    }

    @Override
    public Optional<ChangeNotifier> changeNotifier() {
        return capabilities.has(Capability.CHANGE_NOTIFICATIONS) ? primary.changeNotifier() : Optional.empty();
    }

    @Override
    public CompletableFuture<List<String>> listTables() {
        return primary.listTables();
    }

    @Override
    public CompletableFuture<ScanPlan> scanSegments(String table, int segments) {
        return primary.scanSegments(table, segments);
    }

    @Override
    public CompletableFuture<ScanPage> scan(String table, String position, int limit) {
        return primary.scan(table, position, limit);
    }

    // ------------------------------------------------------------------ writes: primary, then secondary

    @Override
    public CompletableFuture<Long> put(WriteOp.Put put) {
        Entry e = new Entry(put.table(), put.key());
        byte[] payload = put.payload().clone();
        return sequenced(List.of(e), () -> primary.put(put).handle((version, x) -> {
            if (x != null) {
                return this.<Long>primaryFailed(List.of(e), x);
            }
            return mirrorItems(put.table(), List.of(new RawItem(put.key(), payload, version, put.expiresAt())),
                    ImportMode.IF_NEWER).thenApply(v -> version);
        }).thenCompose(f -> f));
    }

    @Override
    public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
        Entry e = new Entry(delete.table(), delete.key());
        return sequenced(List.of(e), () -> primary.delete(delete).handle((existed, x) -> {
            if (x != null) {
                return this.<Boolean>primaryFailed(List.of(e), x);
            }
            return mirrorDeletes(delete.table(), List.of(delete.key())).thenApply(v -> existed);
        }).thenCompose(f -> f));
    }

    @Override
    public CompletableFuture<Void> batchWrite(String table, List<WriteOp> writes) {
        List<Entry> entries = writes.stream().map(w -> new Entry(table, w.key())).toList();
        return sequenced(entries, () -> primary.batchWrite(table, writes).handle((v, x) -> {
            if (x != null) {
                // Some of the batch may have been applied: make the secondary match the primary on every key.
                return recordAll(entries, "batch failed on the primary").thenCompose(r -> CompletableFuture.<Void>failedFuture(unwrap(x)));
            }
            return resyncBatch(table, writes.stream().map(WriteOp::key).toList());
        }).thenCompose(f -> f));
    }

    @Override
    public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
        List<Entry> entries = new ArrayList<>();
        for (WriteOp op : operations) {
            if (!(op instanceof WriteOp.Check)) {
                entries.add(new Entry(op.table(), op.key()));
            }
        }
        Map<WriteOp, byte[]> payloads = new HashMap<>();
        for (WriteOp op : operations) {
            if (op instanceof WriteOp.Put p) {
                payloads.put(op, p.payload().clone());
            }
        }
        return sequenced(entries, () -> primary.transact(operations).handle((versions, x) -> {
            if (x != null) {
                return this.<List<Long>>primaryFailed(entries, x);
            }
            Map<String, List<RawItem>> items = new LinkedHashMap<>();
            Map<String, List<Key>> deletes = new LinkedHashMap<>();
            for (int i = 0; i < operations.size(); i++) {
                WriteOp op = operations.get(i);
                if (op instanceof WriteOp.Put p) {
                    items.computeIfAbsent(p.table(), t -> new ArrayList<>())
                            .add(new RawItem(p.key(), payloads.get(op), versions.get(i), p.expiresAt()));
                } else if (op instanceof WriteOp.Delete d) {
                    deletes.computeIfAbsent(d.table(), t -> new ArrayList<>()).add(d.key());
                }
            }
            List<CompletableFuture<Void>> all = new ArrayList<>();
            items.forEach((t, list) -> all.add(mirrorItems(t, list, ImportMode.IF_NEWER)));
            deletes.forEach((t, list) -> all.add(mirrorDeletes(t, list)));
            return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> versions);
        }).thenCompose(f -> f));
    }

    @Override
    public CompletableFuture<List<ImportOutcome>> importItems(String table, List<RawItem> items, ImportMode mode) {
        List<Entry> entries = items.stream().map(i -> new Entry(table, i.key())).toList();
        List<RawItem> copies = items.stream().map(MirrorBackend::copy).toList();
        return sequenced(entries, () -> primary.importItems(table, items, mode).handle((outcomes, x) -> {
            if (x != null) {
                return this.<List<ImportOutcome>>primaryFailed(entries, x);
            }
            List<RawItem> written = new ArrayList<>();
            List<Entry> unknown = new ArrayList<>();
            for (int i = 0; i < outcomes.size(); i++) {
                ImportOutcome o = outcomes.get(i);
                if (o.status() == ImportOutcome.Status.WRITTEN) {
                    written.add(copies.get(i));
                } else if (o.status() == ImportOutcome.Status.FAILED && o.failure() instanceof OutcomeUnknownException) {
                    unknown.add(entries.get(i));
                }
            }
            CompletableFuture<Void> recorded = unknown.isEmpty() ? CompletableFuture.completedFuture(null)
                    : recordAll(unknown, "import outcome unknown on the primary");
            CompletableFuture<Void> mirrored = written.isEmpty() ? CompletableFuture.completedFuture(null)
                    : mirrorItems(table, written, mode);
            return recorded.thenCombine(mirrored, (a, b) -> outcomes);
        }).thenCompose(f -> f));
    }

    /** A failed primary write: fails as the primary did; recorded for repair first if it may have been applied. */
    private <T> CompletableFuture<T> primaryFailed(List<Entry> entries, Throwable x) {
        Throwable cause = unwrap(x);
        if (cause instanceof OutcomeUnknownException) {
            return recordAll(entries, "outcome unknown on the primary").thenCompose(v -> CompletableFuture.failedFuture(cause));
        }
        return CompletableFuture.failedFuture(cause);
    }

    /** Imports the primary's items into the secondary; records the keys that did not arrive. Never fails. */
    private CompletableFuture<Void> mirrorItems(String table, List<RawItem> items, ImportMode mode) {
        CompletableFuture<List<ImportOutcome>> sent;
        try {
            sent = secondary.importItems(table, items, mode);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        return sent.handle((outcomes, x) -> {
            List<Entry> failed = new ArrayList<>();
            if (x != null || outcomes == null || outcomes.size() != items.size()) {
                items.forEach(i -> failed.add(new Entry(table, i.key())));
            } else {
                for (int i = 0; i < items.size(); i++) {
                    ImportOutcome o = outcomes.get(i);
                    boolean arrived = switch (o.status()) {
                        case WRITTEN, EXPIRED -> true;
                        // The same version is there already; a higher one means the secondary holds another
                        // life of the key (deleted and created again on the primary): repair overwrites it.
                        case KEPT -> o.targetVersion() == items.get(i).version();
                        case FAILED -> false;
                    };
                    if (!arrived) {
                        failed.add(new Entry(table, items.get(i).key()));
                    }
                }
            }
            return failed.isEmpty() ? CompletableFuture.<Void>completedFuture(null)
                    : recordAll(failed, x != null ? "secondary import failed: " + unwrap(x).getClass().getSimpleName()
                            : "secondary import did not apply");
        }).thenCompose(f -> f);
    }

    /** Deletes keys on the secondary; records those that failed. Never fails. */
    private CompletableFuture<Void> mirrorDeletes(String table, List<Key> keys) {
        List<CompletableFuture<Entry>> all = new ArrayList<>();
        for (Key key : keys) {
            CompletableFuture<Boolean> sent;
            try {
                sent = secondary.delete(new WriteOp.Delete(table, key, Condition.none()));
            } catch (RuntimeException e) {
                sent = CompletableFuture.failedFuture(e);
            }
            all.add(sent.handle((existed, x) -> x == null ? null : new Entry(table, key)));
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenCompose(v -> {
            List<Entry> failed = all.stream().map(CompletableFuture::join).filter(java.util.Objects::nonNull).toList();
            return failed.isEmpty() ? CompletableFuture.completedFuture(null)
                    : recordAll(failed, "secondary delete failed");
        });
    }

    /** After a batch: makes the secondary match the primary on every key of it. Never fails. */
    private CompletableFuture<Void> resyncBatch(String table, List<Key> keys) {
        CompletableFuture<List<RawItem>> read;
        try {
            read = primary.batchGet(table, keys);
        } catch (RuntimeException e) {
            read = CompletableFuture.failedFuture(e);
        }
        return read.handle((found, x) -> {
            List<Entry> entries = keys.stream().map(k -> new Entry(table, k)).toList();
            if (x != null) {
                return recordAll(entries, "reading a batch back from the primary failed");
            }
            Map<Key, RawItem> byKey = new HashMap<>();
            found.forEach(i -> byKey.put(i.key(), i));
            List<RawItem> present = new ArrayList<>();
            List<Key> absent = new ArrayList<>();
            for (Key k : new LinkedHashSet<>(keys)) {
                RawItem i = byKey.get(k);
                if (i == null) {
                    absent.add(k);
                } else {
                    present.add(copy(i));
                }
            }
            CompletableFuture<Void> a = present.isEmpty() ? CompletableFuture.completedFuture(null)
                    : mirrorItems(table, present, ImportMode.IF_NEWER);
            CompletableFuture<Void> b = absent.isEmpty() ? CompletableFuture.completedFuture(null)
                    : mirrorDeletes(table, absent);
            return a.thenCombine(b, (p, q) -> (Void) null);
        }).thenCompose(f -> f);
    }

    /**
     * Records keys in the repair log, durably, before the write they belong to is acknowledged.
     * If the log itself fails, the keys are kept in memory, logged as an error and reported by
     * {@link #health()}; the caller's write still succeeds (the primary holds it). Never fails.
     */
    private CompletableFuture<Void> recordAll(List<Entry> entries, String why) {
        secondaryFailures.incrementAndGet();
        try {
            log.add(entries);
            LOG.warn("Mirror: {} key(s) recorded for repair ({})", entries.size(), why);
        } catch (IOException | RuntimeException e) {
            unrecorded.addAll(entries);
            LOG.error("Mirror: {} key(s) whose secondary write failed ({}) could not be recorded in the repair log "
                    + "{} ({}); they are kept in memory only: run polystore copy and verify before relying on the "
                    + "secondary", entries.size(), why, log.file(), e.toString());
        }
        return CompletableFuture.completedFuture(null);
    }

    // ------------------------------------------------------------------ sequencing

    private CompletableFuture<Void> admit() {
        return closed.get() ? CompletableFuture.failedFuture(new UnavailableException(
                "the mirror backend is closed: nothing was written", null)) : CompletableFuture.completedFuture(null);
    }

    /**
     * Runs {@code op} after every earlier sequenced operation on any of {@code keys} finished, so
     * that the secondary sees writes of a key in the primary's order.
     */
    private <T> CompletableFuture<T> sequenced(List<Entry> keys, Supplier<CompletableFuture<T>> op) {
        if (closed.get()) {
            return CompletableFuture.failedFuture(new UnavailableException(
                    "the mirror backend is closed: nothing was written", null));
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        List<CompletableFuture<Void>> before = new ArrayList<>();
        synchronized (sequencerLock) {
            inFlight.incrementAndGet();
            for (Entry k : keys) {
                CompletableFuture<Void> previous = tails.put(k, done);
                if (previous != null) {
                    before.add(previous);
                }
            }
        }
        CompletableFuture<T> result;
        if (before.stream().allMatch(CompletableFuture::isDone)) {
            result = run(op);
        } else {
            result = CompletableFuture.allOf(before.toArray(CompletableFuture[]::new))
                    .thenComposeAsync(v -> run(op), executor);
        }
        return result.whenComplete((r, x) -> {
            synchronized (sequencerLock) {
                for (Entry k : keys) {
                    tails.remove(k, done);
                }
                inFlight.decrementAndGet();
                sequencerLock.notifyAll();
            }
            done.complete(null);
        });
    }

    private static <T> CompletableFuture<T> run(Supplier<CompletableFuture<T>> op) {
        try {
            return op.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static Throwable unwrap(Throwable x) {
        while ((x instanceof CompletionException || x instanceof ExecutionException) && x.getCause() != null) {
            x = x.getCause();
        }
        return x;
    }

    private static RawItem copy(RawItem i) {
        return new RawItem(i.key(), i.payload().clone(), i.version(), i.expiresAt());
    }

    // ------------------------------------------------------------------ health and close

    /**
     * Healthy when the primary is healthy and every key whose secondary write failed is in the
     * repair log. Details: the primary's and the secondary's ({@code primary.*},
     * {@code secondary.*}), {@code secondary_healthy}, {@code pending_repairs},
     * {@code secondary_failures} (writes recorded for repair since open) and {@code repair_log}.
     */
    @Override
    public CompletableFuture<Health> health() {
        Instant start = clock.instant();
        CompletableFuture<Health> p = primary.health().exceptionally(x -> new Health(false, primary.name(),
                Duration.ZERO, Map.of("error", unwrap(x).toString())));
        CompletableFuture<Health> s = secondary.health().exceptionally(x -> new Health(false, secondary.name(),
                Duration.ZERO, Map.of("error", unwrap(x).toString())));
        return p.thenCombine(s, (ph, sh) -> {
            Map<String, String> details = new LinkedHashMap<>();
            details.put("primary", ph.backend());
            details.put("secondary", sh.backend());
            ph.details().forEach((k, v) -> details.put("primary." + k, v));
            sh.details().forEach((k, v) -> details.put("secondary." + k, v));
            details.put("primary_healthy", String.valueOf(ph.healthy()));
            details.put("secondary_healthy", String.valueOf(sh.healthy()));
            details.put("pending_repairs", String.valueOf(pendingRepairs()));
            details.put("secondary_failures", String.valueOf(secondaryFailures.get()));
            details.put("repair_log", log.file().toString());
            if (!unrecorded.isEmpty()) {
                details.put("unrecorded_repairs", String.valueOf(unrecorded.size()));
            }
            Duration latency = Duration.between(start, clock.instant());
            return new Health(ph.healthy() && unrecorded.isEmpty() && !closed.get(), name(),
                    latency.isNegative() ? Duration.ZERO : latency, details);
        });
    }

    /** {@code mirror}. */
    @Override
    public String name() {
        return "mirror";
    }

    /**
     * Stops the repair timer, closes the primary (which completes or fails what is in flight
     * there), lets writes whose primary part finished reach the secondary or the repair log
     * (at most 10 s), then closes the secondary and the repair log. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (repairTimer != null) {
            repairTimer.shutdownNow();
        }
        try {
            primary.close();
        } finally {
            long deadline = System.nanoTime() + CLOSE_GRACE.toNanos();
            synchronized (sequencerLock) {
                while (inFlight.get() > 0 && System.nanoTime() < deadline) {
                    try {
                        sequencerLock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
            try {
                secondary.close();
            } finally {
                executor.shutdownNow();
                if (!unrecorded.isEmpty()) {
                    LOG.error("Mirror closed with {} key(s) whose secondary write failed and that are not in the repair "
                            + "log: run polystore copy and verify before relying on the secondary", unrecorded.size());
                }
                log.close();
            }
        }
    }
}
