package dev.polystore.redis;

import dev.polystore.BatchWriteException;
import dev.polystore.Capabilities;
import dev.polystore.Capability;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Direction;
import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import dev.polystore.spi.ImportMode;
import dev.polystore.spi.ImportOutcome;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.SortKeys;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.ScanPage;
import dev.polystore.spi.ScanPlan;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.TableNames;
import dev.polystore.spi.WriteOp;
import io.lettuce.core.KeyValue;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code redis} backend: items in Redis hashes, one sorted set per partition and store for
 * sort-key order, every write one Lua script ({@link Scripts}), all through one shared Lettuce
 * connection ({@link Connections}). Layout in {@link Layout}; docs/redis.md says it all for users.
 *
 * <p>Thread-safe. Futures complete on Lettuce's I/O threads: stages chained on them must not
 * block. Failures are the portable kinds ({@link RedisErrors}); a write that may have run is
 * {@link OutcomeUnknownException}, never a success or a condition failure it cannot prove.
 *
 * <p>{@link #close()} stops taking calls, waits up to {@code close_timeout_ms} for the calls in
 * flight to complete, then closes the connection, which fails what is still pending (writes
 * with {@link OutcomeUnknownException}, reads with {@link UnavailableException}).
 */
final class RedisBackend implements StorageBackend {
    static final String NAME = "redis";
    static final int MAX_TRANSACTION_ITEMS = 100;
    static final long MAX_TRANSACTION_BYTES = 4L * 1024 * 1024;
    static final int MAX_BATCH_GET = 100;
    static final int MAX_BATCH_WRITE = 100;
    /** Most sorted-set members one query script examines (expired ones included) before it returns a page. */
    static final int QUERY_SCAN_SLACK = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(RedisBackend.class);
    private static final byte[] P = {'p'};
    private static final byte[] V = {'v'};
    private static final byte[] E = {'e'};
    private static final byte[] EMPTY = {};

    private final RedisSettings settings;
    private final Clock clock;
    private final Connections connections;
    private final RedisClusterAsyncCommands<byte[], byte[]> redis;
    private final Layout layout;
    private final WriteIds ids = new WriteIds();
    private final Capabilities capabilities;
    private final byte[] recordTtl;
    private final byte[] grace;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong resent = new java.util.concurrent.atomic.AtomicLong();
    private final Object drained = new Object();
    private volatile boolean closed;
    private volatile boolean connectionClosed;
    /** Tests only: a write sent again gets a new write id, as if it had none (the kit must then see misreports). */
    private volatile boolean forgetWriteIdOnResend;

    RedisBackend(RedisSettings settings, Connections connections, Clock clock) {
        this.settings = settings;
        this.clock = clock;
        this.connections = connections;
        this.redis = connections.commands();
        this.layout = new Layout(settings.keyPrefix());
        this.capabilities = new Capabilities(EnumSet.of(Capability.TRANSACTIONS, Capability.BATCH, Capability.EXPIRY,
                Capability.SCAN, Capability.IMPORT),
                MAX_TRANSACTION_ITEMS, MAX_TRANSACTION_BYTES, MAX_BATCH_GET, MAX_BATCH_WRITE, !settings.cluster());
        this.recordTtl = ascii(settings.replayWindow().toMillis());
        this.grace = ascii(settings.expiryGrace().getSeconds());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Capabilities capabilities() {
        return capabilities;
    }

    RedisSettings settings() {
        return settings;
    }

    @Override
    public CompletableFuture<Void> prepareTable(String table) {
        TableNames.require(table);
        if (closed) {
            return CompletableFuture.failedFuture(closedException());
        }
        return CompletableFuture.completedFuture(null); // nothing to create: keys appear on first write
    }

    // ------------------------------------------------------------------ reads

    @Override
    public CompletableFuture<Optional<RawItem>> get(String table, Key key) {
        long now = clock.millis();
        return call("get in store '" + table + "'", false, key,
                () -> read(() -> redis.hmget(layout.item(table, key), P, V, E))
                        .thenApply(f -> Optional.ofNullable(item(key, f, now))));
    }

    @Override
    public CompletableFuture<List<RawItem>> batchGet(String table, List<Key> keys) {
        long now = clock.millis();
        return call("batch get in store '" + table + "'", false, null, () -> {
            List<CompletableFuture<List<KeyValue<byte[], byte[]>>>> reads = new ArrayList<>(keys.size());
            for (Key key : keys) {
                byte[] item = layout.item(table, key);
                reads.add(read(() -> redis.hmget(item, P, V, E)));
            }
            return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> {
                List<RawItem> found = new ArrayList<>();
                for (int i = 0; i < keys.size(); i++) {
                    RawItem item = item(keys.get(i), reads.get(i).join(), now);
                    if (item != null) {
                        found.add(item);
                    }
                }
                return found;
            });
        });
    }

    /** The live item from {@code HMGET p v e}, or null if absent or expired at {@code now}. */
    private static RawItem item(Key key, List<KeyValue<byte[], byte[]>> fields, long now) {
        if (fields.size() < 3 || !fields.get(1).hasValue()) {
            return null;
        }
        Instant expiry = null;
        if (fields.get(2).hasValue()) {
            expiry = Instant.ofEpochSecond(Long.parseLong(text(fields.get(2).getValue())));
            if (!Instant.ofEpochMilli(now).isBefore(expiry)) {
                return null;
            }
        }
        byte[] payload = fields.get(0).hasValue() ? fields.get(0).getValue() : EMPTY.clone();
        return new RawItem(key, payload, Long.parseLong(text(fields.get(1).getValue())), expiry);
    }

    @Override
    public CompletableFuture<RawPage> query(QuerySpec q) {
        long now = clock.millis();
        boolean ascending = q.direction() == Direction.ASCENDING;
        byte[][] bounds = Layout.bounds(q.range(), ascending, q.exclusiveStartSk());
        byte[][] args = {ascii(now), layout.itemBase(q.table(), q.pk()), ascending ? new byte[] {'a'} : new byte[] {'d'},
                bounds[0], bounds[1], ascii(q.limit()), ascii(q.limit() + QUERY_SCAN_SLACK)};
        return call("query in store '" + q.table() + "'", false, null,
                () -> run(Scripts.QUERY, new byte[][] {layout.index(q.table(), q.pk())}, args).thenApply(r -> page(q, r)));
    }

    private static RawPage page(QuerySpec q, List<Object> reply) {
        byte[] resume = (byte[]) reply.get(0);
        @SuppressWarnings("unchecked")
        List<Object> flat = (List<Object>) reply.get(1);
        List<RawItem> items = new ArrayList<>(flat.size() / 4);
        for (int i = 0; i + 3 < flat.size(); i += 4) {
            String sk = text((byte[]) flat.get(i));
            byte[] payload = flat.get(i + 1) == null ? EMPTY.clone() : (byte[]) flat.get(i + 1);
            long version = Long.parseLong(text((byte[]) flat.get(i + 2)));
            byte[] e = (byte[]) flat.get(i + 3);
            Instant expiry = e == null || e.length == 0 ? null : Instant.ofEpochSecond(Long.parseLong(text(e)));
            items.add(new RawItem(Key.of(q.pk(), sk), payload, version, expiry));
        }
        return new RawPage(items, resume == null || resume.length == 0 ? null : text(resume));
    }

    // ------------------------------------------------------------------ writes

    @Override
    public CompletableFuture<Long> put(WriteOp.Put put) {
        return call("put in store '" + put.table() + "'", true, put.key(), () -> putScript(put));
    }

    private CompletableFuture<Long> putScript(WriteOp.Put put) {
        Key key = put.key();
        byte[] tag = layout.tag(key.pk());
        byte[][] keys = {Layout.item(tag, put.table(), key.sk()), Layout.index(tag, put.table()), Layout.record(tag, ids.next())};
        byte[][] args = {ascii(clock.millis()), condition(put.condition()), expected(put.condition()), put.payload(),
                expiry(put.expiresAt()), utf8(key.sk()), recordTtl, grace};
        return run(Scripts.PUT, keys, args).thenApply(r -> {
            String answer = text((byte[]) r.get(0));
            if (answer.equals("cf")) {
                throw conditionFailed(put, number(r.get(1)), -1);
            }
            return number(r.get(1));
        });
    }

    @Override
    public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
        return call("delete in store '" + delete.table() + "'", true, delete.key(), () -> deleteScript(delete));
    }

    private CompletableFuture<Boolean> deleteScript(WriteOp.Delete delete) {
        Key key = delete.key();
        byte[] tag = layout.tag(key.pk());
        byte[][] keys = {Layout.item(tag, delete.table(), key.sk()), Layout.index(tag, delete.table()),
                Layout.record(tag, ids.next())};
        byte[][] args = {ascii(clock.millis()), condition(delete.condition()), expected(delete.condition()),
                utf8(key.sk()), recordTtl};
        return run(Scripts.DELETE, keys, args).thenApply(r -> {
            String answer = text((byte[]) r.get(0));
            if (answer.equals("cf")) {
                throw conditionFailed(delete, number(r.get(1)), -1);
            }
            return answer.equals("done") || number(r.get(1)) == 1;
        });
    }

    @Override
    public CompletableFuture<Void> batchWrite(String table, List<WriteOp> writes) {
        return call("batch write in store '" + table + "'", true, null, () -> {
            List<CompletableFuture<?>> each = new ArrayList<>(writes.size());
            for (WriteOp op : writes) {
                if (op instanceof WriteOp.Put p) {
                    each.add(putScript(p));
                } else if (op instanceof WriteOp.Delete d) {
                    each.add(deleteScript(d));
                } else {
                    each.add(CompletableFuture.failedFuture(new ValidationException("a batch holds puts and deletes only")));
                }
            }
            return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).handle((v, e) -> {
                if (e == null) {
                    return null;
                }
                List<Key> unprocessed = new ArrayList<>();
                int unknown = 0;
                Throwable first = null;
                for (int i = 0; i < writes.size(); i++) {
                    CompletableFuture<?> f = each.get(i);
                    if (f.isCompletedExceptionally()) {
                        Throwable t = RedisErrors.unwrap(f.handle((x, err) -> err).join());
                        StoreException s = RedisErrors.map(t, "batch write", true, writes.get(i).key());
                        unknown += s instanceof OutcomeUnknownException ? 1 : 0;
                        first = first == null ? s : first;
                        unprocessed.add(writes.get(i).key());
                    }
                }
                throw new BatchWriteException(unprocessed.size() + " of " + writes.size() + " writes of a batch in store '"
                        + table + "' failed (" + unknown + " of them may have been applied, the others were not): "
                        + (first == null ? "" : first.getMessage()) + "; every write of a batch is unconditional, so "
                        + "retrying the listed keys is safe", unprocessed, true, first);
            });
        });
    }

    @Override
    public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
        if (settings.cluster()) {
            Set<String> pks = new HashSet<>();
            operations.forEach(op -> pks.add(op.key().pk()));
            if (pks.size() > 1) {
                return CompletableFuture.failedFuture(new ValidationException("a transaction on Redis Cluster must stay "
                        + "within one partition key (all its items live in one hash slot), but this one spans "
                        + pks.size() + " partition keys; nothing was written. Split it, or use standalone or Sentinel "
                        + "Redis, whose transactions span partitions (Capabilities.transactionsAcrossPartitions())"));
            }
        }
        return call("transaction", true, null, () -> {
            int n = operations.size();
            byte[][] keys = new byte[2 * n + 1][];
            byte[][] args = new byte[4 + 6 * n][];
            args[0] = ascii(clock.millis());
            args[1] = recordTtl;
            args[2] = grace;
            args[3] = ascii(n);
            for (int i = 0; i < n; i++) {
                WriteOp op = operations.get(i);
                keys[2 * i] = layout.item(op.table(), op.key());
                keys[2 * i + 1] = layout.index(op.table(), op.key().pk());
                int a = 4 + 6 * i;
                args[a] = op instanceof WriteOp.Put ? new byte[] {'p'} : op instanceof WriteOp.Delete ? new byte[] {'d'}
                        : new byte[] {'c'};
                args[a + 1] = condition(op.condition());
                args[a + 2] = expected(op.condition());
                args[a + 3] = op instanceof WriteOp.Put p ? p.payload() : EMPTY;
                args[a + 4] = op instanceof WriteOp.Put p ? expiry(p.expiresAt()) : EMPTY;
                args[a + 5] = utf8(op.key().sk());
            }
            keys[2 * n] = layout.record(operations.get(0).key().pk(), ids.next());
            return run(Scripts.TRANSACT, keys, args).thenApply(r -> {
                String answer = text((byte[]) r.get(0));
                if (answer.equals("cf")) {
                    int index = (int) number(r.get(1));
                    throw conditionFailed(operations.get(index), number(r.get(2)), index);
                }
                String[] parts = text((byte[]) r.get(1)).split(",");
                List<Long> versions = new ArrayList<>(n);
                for (String part : parts) {
                    versions.add(Long.parseLong(part));
                }
                return versions;
            });
        });
    }

    private static ConditionFailedException conditionFailed(WriteOp op, long found, int index) {
        return new ConditionFailedException("condition " + op.condition() + " failed for " + op.key() + " in store '" + op.table()
                + "': found " + (found == 0 ? "no item" : "version " + found)
                + (index >= 0 ? " (transaction operation " + index + ")" : ""), op.key(), index, null);
    }

    // ------------------------------------------------------------------ scan and import

    /** Keys one {@code SCAN} call asks a node to look at. */
    static final int SCAN_COUNT = 100;
    /** Most {@code SCAN} calls one page makes before it returns (possibly empty, with a position). */
    static final int SCANS_PER_PAGE = 32;
    /** Items and payload bytes one import script carries at most. */
    static final int IMPORT_SCRIPT_ITEMS = 100;
    static final long IMPORT_SCRIPT_BYTES = 4L * 1024 * 1024;

    /**
     * Every store with at least one partition index under this prefix: a {@code SCAN} of each
     * upstream node's key space (Redis keeps no list of them), for migration tools only.
     */
    @Override
    public CompletableFuture<List<String>> listTables() {
        return call("list the stores", false, null, () -> {
            List<Connections.Node> nodes = connections.upstreams();
            Set<String> names = java.util.concurrent.ConcurrentHashMap.newKeySet();
            List<CompletableFuture<Void>> each = new ArrayList<>();
            for (Connections.Node n : nodes) {
                each.add(listTables(n, ScanCursor.INITIAL, names));
            }
            return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(v -> {
                List<String> sorted = new ArrayList<>(names);
                sorted.sort(null);
                return sorted;
            });
        });
    }

    private CompletableFuture<Void> listTables(Connections.Node node, ScanCursor cursor, Set<String> names) {
        ScanArgs args = ScanArgs.Builder.matches(layout.indexPattern(null)).limit(SCAN_COUNT);
        return read(() -> node.commands().scan(cursor, args)).thenCompose(c -> {
            for (byte[] key : c.getKeys()) {
                Layout.Index index = layout.parseIndex(key);
                if (index != null && TableNames.isValid(index.table())) {
                    names.add(index.table());
                }
            }
            return c.isFinished() ? CompletableFuture.completedFuture(null) : listTables(node, c, names);
        });
    }

    /**
     * A scan position: segment {@code segment} of {@code total} takes the partitions whose
     * partition key's CRC-32 is {@code segment} modulo {@code total}. It walks the upstream nodes
     * in label order ({@code node}; null: not begun), each with {@code SCAN}: {@code cursor} is
     * the cursor to ask next (null: that node's pass is finished), {@code pending} the partitions
     * of the last batch not yet read, in byte order, the first read on after {@code afterSk}
     * (null: from its start). A batch is read from Redis once and then carried in the position,
     * so resuming never asks {@code SCAN} for the same cursor twice. {@code runId}: the node's
     * {@code run_id} when the segment reached it (a cursor means nothing to a restarted server).
     */
    record ScanPosition(int segment, int total, String node, String runId, String cursor, List<String> pending,
                        String afterSk) {
        static final String PREFIX = "redis1.";

        ScanPosition {
            pending = List.copyOf(pending);
        }

        String encode() {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(64);
            try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
                out.writeInt(segment);
                out.writeInt(total);
                writeOptional(out, node);
                writeOptional(out, runId);
                writeOptional(out, cursor);
                out.writeInt(pending.size());
                for (String pk : pending) {
                    out.writeUTF(pk);
                }
                writeOptional(out, afterSk);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            return PREFIX + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.toByteArray());
        }

        static ScanPosition decode(String position) {
            if (position == null || !position.startsWith(PREFIX)) {
                throw new ValidationException("not a scan position of the redis backend: positions belong to the engine "
                        + "that planned the scan (start from a position of scanSegments)");
            }
            try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(
                    java.util.Base64.getUrlDecoder().decode(position.substring(PREFIX.length()))))) {
                int segment = in.readInt();
                int total = in.readInt();
                String node = readOptional(in);
                String runId = readOptional(in);
                String cursor = readOptional(in);
                int n = in.readInt();
                if (n < 0 || n > SCAN_COUNT * 100) {
                    throw new java.io.IOException("inconsistent fields");
                }
                List<String> pending = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    pending.add(in.readUTF());
                }
                ScanPosition p = new ScanPosition(segment, total, node, runId, cursor, pending, readOptional(in));
                if (in.read() != -1 || p.total < 1 || p.segment < 0 || p.segment >= p.total) {
                    throw new java.io.IOException("inconsistent fields");
                }
                return p;
            } catch (java.io.IOException | IllegalArgumentException e) {
                throw new ValidationException("malformed redis scan position: it was not made by scanSegments or scan ("
                        + e.getMessage() + ")");
            }
        }

        private static void writeOptional(java.io.DataOutputStream out, String s) throws java.io.IOException {
            out.writeBoolean(s != null);
            if (s != null) {
                out.writeUTF(s);
            }
        }

        private static String readOptional(java.io.DataInputStream in) throws java.io.IOException {
            return in.readBoolean() ? in.readUTF() : null;
        }

        /** At the start of {@code node}'s pass. */
        ScanPosition at(String node, String runId) {
            return new ScanPosition(segment, total, node, runId, "0", List.of(), null);
        }

        /** A batch read: ask {@code next} next (null: the pass is finished), read {@code pks} first. */
        ScanPosition batch(String next, List<String> pks) {
            return new ScanPosition(segment, total, node, runId, next, pks, null);
        }

        /** The first pending partition read up to {@code sk}. */
        ScanPosition after(String sk) {
            return new ScanPosition(segment, total, node, runId, cursor, pending, sk);
        }

        /** The first pending partition done. */
        ScanPosition nextPartition() {
            return new ScanPosition(segment, total, node, runId, cursor, pending.subList(1, pending.size()), null);
        }

        /** No keys: positions are data. */
        @Override
        public String toString() {
            return "ScanPosition[" + segment + "/" + total + "]";
        }
    }

    /** The segment {@code pk}'s partition belongs to, of {@code total}. */
    static int segmentOf(String pk, int total) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(SortKeys.utf8(pk));
        return (int) (crc.getValue() % total);
    }

    /** Reads nothing: segments are a split of the partitions by hash, positions say where each begins. */
    @Override
    public CompletableFuture<ScanPlan> scanSegments(String table, int segments) {
        if (closed) {
            return CompletableFuture.failedFuture(closedException());
        }
        List<String> positions = new ArrayList<>(segments);
        for (int i = 0; i < segments; i++) {
            positions.add(new ScanPosition(i, segments, null, null, "0", List.of(), null).encode());
        }
        return CompletableFuture.completedFuture(new ScanPlan(positions, -1));
    }

    /** What a page has gathered so far. */
    private static final class PageSoFar {
        final int limit;
        final List<RawItem> items = new ArrayList<>();
        long bytes;
        int expired;
        int scans;
        boolean nodeChecked;

        PageSoFar(int limit) {
            this.limit = limit;
        }

        boolean full() {
            return items.size() >= limit || bytes >= ScanPage.MAX_BYTES;
        }

        ScanPage page(ScanPosition next) {
            return new ScanPage(items, next == null ? null : next.encode(), expired);
        }
    }

    @Override
    public CompletableFuture<ScanPage> scan(String table, String position, int limit) {
        ScanPosition start;
        try {
            start = ScanPosition.decode(position);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        long now = clock.millis();
        return call("scan store '" + table + "'", false, null, () -> scanStep(table, start, new PageSoFar(limit), now));
    }

    private List<Connections.Node> nodesByLabel() {
        List<Connections.Node> nodes = new ArrayList<>(connections.upstreams());
        nodes.sort(java.util.Comparator.comparing(Connections.Node::label));
        return nodes;
    }

    private CompletableFuture<String> runId(Connections.Node node) {
        return read(() -> node.commands().info("server")).thenApply(info -> {
            for (String line : info.split("\r?\n")) {
                if (line.startsWith("run_id:")) {
                    return line.substring("run_id:".length()).trim();
                }
            }
            throw new StoreException("Redis node " + node.label() + " did not report its run_id (INFO server)", null);
        });
    }

    private CompletableFuture<ScanPage> scanStep(String table, ScanPosition pos, PageSoFar page, long now) {
        List<Connections.Node> nodes = nodesByLabel();
        if (pos.node() == null) {
            if (nodes.isEmpty()) {
                return CompletableFuture.completedFuture(page.page(null));
            }
            Connections.Node first = nodes.get(0);
            page.nodeChecked = true;
            return runId(first).thenCompose(id -> scanStep(table, pos.at(first.label(), id), page, now));
        }
        Connections.Node node = null;
        for (Connections.Node n : nodes) {
            if (n.label().equals(pos.node())) {
                node = n;
            }
        }
        if (node == null) {
            return CompletableFuture.failedFuture(new StoreException("Redis node " + pos.node() + " of this scan segment is "
                    + "no longer an upstream node (failover or resharding): scan the store again from a new plan (an "
                    + "import with if-newer makes the repeated copy safe)", null));
        }
        if (!page.nodeChecked) {
            page.nodeChecked = true;
            Connections.Node checked = node;
            return runId(node).thenCompose(id -> {
                if (!id.equals(pos.runId())) {
                    return CompletableFuture.failedFuture(new StoreException("Redis node " + checked.label() + " restarted "
                            + "or failed over since this scan segment began (its run_id changed), so the segment's SCAN "
                            + "cursor no longer means anything: scan the store again from a new plan (an import with "
                            + "if-newer makes the repeated copy safe)", null));
                }
                return scanStep(table, pos, page, now);
            });
        }
        if (!pos.pending().isEmpty()) {
            if (page.full()) {
                return CompletableFuture.completedFuture(page.page(pos));
            }
            return partition(table, pos.pending().get(0), pos.afterSk(), page, now).thenCompose(resume -> resume != null
                    ? CompletableFuture.completedFuture(page.page(resume.isPresent() ? pos.after(resume.get()) : pos))
                    : scanStep(table, pos.nextPartition(), page, now));
        }
        if (pos.cursor() == null) {
            Connections.Node next = null;
            for (Connections.Node n : nodes) {
                if (n.label().compareTo(pos.node()) > 0) {
                    next = n;
                    break;
                }
            }
            if (next == null) {
                return CompletableFuture.completedFuture(page.page(null));
            }
            Connections.Node to = next;
            return runId(to).thenCompose(id -> scanStep(table, pos.at(to.label(), id), page, now));
        }
        if (page.full() || page.scans >= SCANS_PER_PAGE) {
            return CompletableFuture.completedFuture(page.page(pos));
        }
        page.scans++;
        Connections.Node current = node;
        ScanArgs args = ScanArgs.Builder.matches(layout.indexPattern(table)).limit(SCAN_COUNT);
        return read(() -> current.commands().scan(ScanCursor.of(pos.cursor()), args)).thenCompose(c -> {
            java.util.TreeSet<String> pks = new java.util.TreeSet<>(SortKeys::compare);
            for (byte[] key : c.getKeys()) {
                Layout.Index index = layout.parseIndex(key);
                if (index != null && index.table().equals(table) && segmentOf(index.pk(), pos.total()) == pos.segment()) {
                    pks.add(index.pk());
                }
            }
            return scanStep(table, pos.batch(c.isFinished() ? null : c.getCursor(), new ArrayList<>(pks)), page, now);
        });
    }

    /**
     * Adds the live items of partition {@code pk} after {@code afterSk} to the page, as many as fit.
     *
     * @return null when the partition is done, else the sort key to resume after, or empty to resume
     *         where this call started (no member examined). The empty sort key is a sort key like any
     *         other: it is never the "nothing read" answer, or a page would resume before an item it
     *         returned and the scan would return that item forever.
     */
    private CompletableFuture<Optional<String>> partition(String table, String pk, String afterSk, PageSoFar page, long now) {
        byte[] min = afterSk == null ? Layout.MINUS : Layout.concat(new byte[] {'('}, utf8(afterSk));
        byte[][] args = {ascii(now), layout.itemBase(table, pk), min, ascii(page.limit - page.items.size()),
                ascii(Math.max(0, ScanPage.MAX_BYTES - page.bytes)), ascii(page.items.size()),
                ascii(page.limit + QUERY_SCAN_SLACK)};
        return run(Scripts.SCAN, new byte[][] {layout.index(table, pk)}, args).thenApply(r -> {
            boolean more = number(r.get(0)) == 1;
            String last = text((byte[]) r.get(1));
            page.expired += (int) number(r.get(2));
            @SuppressWarnings("unchecked")
            List<Object> flat = (List<Object>) r.get(3);
            for (int i = 0; i + 3 < flat.size(); i += 4) {
                String sk = text((byte[]) flat.get(i));
                byte[] payload = flat.get(i + 1) == null ? EMPTY.clone() : (byte[]) flat.get(i + 1);
                long version = Long.parseLong(text((byte[]) flat.get(i + 2)));
                byte[] e = (byte[]) flat.get(i + 3);
                Instant expiry = e == null || e.length == 0 ? null : Instant.ofEpochSecond(Long.parseLong(text(e)));
                page.items.add(new RawItem(Key.of(pk, sk), payload, version, expiry));
                page.bytes += payload.length;
            }
            if (!more) {
                return null;
            }
            return number(r.get(4)) > 0 ? Optional.of(last) : Optional.empty();
        });
    }

    /**
     * One {@link Scripts#IMPORT} script per chunk of at most {@value #IMPORT_SCRIPT_ITEMS} items
     * and {@link #IMPORT_SCRIPT_BYTES} of payload (in Cluster mode, per partition key: a script's
     * keys share a slot), each replay-safe with its own write id; chunks run concurrently. A chunk
     * that fails is the outcome of its items only.
     */
    @Override
    public CompletableFuture<List<ImportOutcome>> importItems(String table, List<RawItem> items, ImportMode mode) {
        List<RawItem> copy = List.copyOf(items);
        Instant now = clock.instant();
        return call("import into store '" + table + "'", true, null, () -> {
            ImportOutcome[] outcomes = new ImportOutcome[copy.size()];
            Map<String, List<Integer>> groups = new LinkedHashMap<>();
            for (int i = 0; i < copy.size(); i++) {
                if (copy.get(i).expiredAt(now)) {
                    outcomes[i] = ImportOutcome.expired();
                } else {
                    groups.computeIfAbsent(settings.cluster() ? copy.get(i).key().pk() : "", k -> new ArrayList<>()).add(i);
                }
            }
            List<CompletableFuture<Void>> chunks = new ArrayList<>();
            for (List<Integer> group : groups.values()) {
                int from = 0;
                while (from < group.size()) {
                    int to = from;
                    long bytes = 0;
                    while (to < group.size() && to - from < IMPORT_SCRIPT_ITEMS
                            && (to == from || bytes + copy.get(group.get(to)).payload().length <= IMPORT_SCRIPT_BYTES)) {
                        bytes += copy.get(group.get(to)).payload().length;
                        to++;
                    }
                    chunks.add(importChunk(table, copy, group.subList(from, to), mode, now, outcomes));
                    from = to;
                }
            }
            return CompletableFuture.allOf(chunks.toArray(CompletableFuture[]::new)).thenApply(v -> List.of(outcomes));
        });
    }

    private CompletableFuture<Void> importChunk(String table, List<RawItem> items, List<Integer> part, ImportMode mode,
                                                Instant now, ImportOutcome[] outcomes) {
        int n = part.size();
        byte[][] keys = new byte[2 * n + 1][];
        byte[][] args = new byte[5 + 4 * n][];
        args[0] = ascii(now.toEpochMilli());
        args[1] = recordTtl;
        args[2] = grace;
        args[3] = new byte[] {(byte) (mode == ImportMode.IF_NEWER ? 'i' : 'o')};
        args[4] = ascii(n);
        for (int j = 0; j < n; j++) {
            RawItem item = items.get(part.get(j));
            byte[] tag = layout.tag(item.key().pk());
            keys[2 * j] = Layout.item(tag, table, item.key().sk());
            keys[2 * j + 1] = Layout.index(tag, table);
            int a = 5 + 4 * j;
            args[a] = ascii(item.version());
            args[a + 1] = item.payload();
            args[a + 2] = expiry(item.expiresAt());
            args[a + 3] = utf8(item.key().sk());
        }
        keys[2 * n] = layout.record(items.get(part.get(0)).key().pk(), ids.next());
        CompletableFuture<List<Object>> script;
        try {
            script = run(Scripts.IMPORT, keys, args);
        } catch (RuntimeException e) {
            script = CompletableFuture.failedFuture(e);
        }
        return script.handle((r, e) -> {
            if (e != null) {
                StoreException failure = RedisErrors.map(e, "import " + n + " items into store '" + table + "'", true, null);
                part.forEach(i -> outcomes[i] = ImportOutcome.failed(failure));
                return null;
            }
            String[] each = text((byte[]) r.get(1)).split(",");
            for (int j = 0; j < n; j++) {
                outcomes[part.get(j)] = each[j].equals("w") ? ImportOutcome.written()
                        : ImportOutcome.kept(Long.parseLong(each[j].substring(1)));
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ scripts

    /**
     * Runs a script: {@code EVALSHA}, and on {@code NOSCRIPT} (the script did not run)
     * {@code EVAL} with the source. When the connection is lost under it (a reset, a close) before
     * the command timeout has passed, the same script is sent again, with the same write id, after a
     * short pause (Lettuce fails commands at once until it has reconnected), until the command
     * timeout has passed or {@value #MAX_ATTEMPTS} attempts were made: a write that had run then
     * answers its recorded first outcome, one that had not runs now. Timeouts are not retried (the first attempt may still be
     * pending on a hung path); they fail, writes as outcome unknown.
     */
    private CompletableFuture<List<Object>> run(Scripts.Script script, byte[][] keys, byte[][] args) {
        CompletableFuture<List<Object>> out = new CompletableFuture<>();
        attempt(script, keys, args, out, System.nanoTime() + settings.commandTimeout().toNanos(), 1);
        return out;
    }

    static final int MAX_ATTEMPTS = 50;

    /** The pause before attempt {@code attempt + 1}: 5, 10, 20, 40, 80, then 100 ms. */
    private static long pauseMillis(int attempt) {
        return Math.min(100, 5L << Math.min(attempt - 1, 5));
    }

    private static java.util.concurrent.Executor after(int attempt) {
        return CompletableFuture.delayedExecutor(pauseMillis(attempt), TimeUnit.MILLISECONDS);
    }

    private void attempt(Scripts.Script script, byte[][] keys, byte[][] args, CompletableFuture<List<Object>> out,
                         long deadline, int attempt) {
        evalsha(script, keys, args).whenComplete((r, e) -> {
            if (e == null) {
                out.complete(r);
            } else if (attempt < MAX_ATTEMPTS && !closed && connectionLost(e)
                    && System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pauseMillis(attempt)) < deadline) {
                resent.incrementAndGet();
                LOG.debug("The connection to Redis was lost under a {} script; sending it again (attempt {})",
                        script.name(), attempt + 1);
                byte[][] again = forgetWriteIdOnResend && script != Scripts.QUERY && script != Scripts.SCAN ? withNewWriteId(keys) : keys;
                after(attempt).execute(() -> attempt(script, again, args, out, deadline, attempt + 1));
            } else {
                out.completeExceptionally(e);
            }
        });
    }

    private CompletableFuture<List<Object>> evalsha(Scripts.Script script, byte[][] keys, byte[][] args) {
        CompletableFuture<List<Object>> out = new CompletableFuture<>();
        redis.<List<Object>>evalsha(script.sha(), ScriptOutputType.MULTI, keys, args).whenComplete((r, e) -> {
            if (e == null) {
                out.complete(r);
            } else if (RedisErrors.unwrap(e) instanceof RedisNoScriptException) {
                LOG.debug("Redis answered NOSCRIPT for the {} script; sending its source", script.name());
                redis.<List<Object>>eval(script.source(), ScriptOutputType.MULTI, keys, args).whenComplete((r2, e2) -> {
                    if (e2 == null) {
                        out.complete(r2);
                    } else {
                        out.completeExceptionally(e2);
                    }
                });
            } else {
                out.completeExceptionally(e);
            }
        });
        return out;
    }

    /** A read, sent again (like {@link #run}) when the connection is lost under it before the command timeout. */
    private <T> CompletableFuture<T> read(Supplier<CompletionStage<T>> command) {
        CompletableFuture<T> out = new CompletableFuture<>();
        readAttempt(command, out, System.nanoTime() + settings.commandTimeout().toNanos(), 1);
        return out;
    }

    private <T> void readAttempt(Supplier<CompletionStage<T>> command, CompletableFuture<T> out, long deadline, int attempt) {
        command.get().whenComplete((r, e) -> {
            if (e == null) {
                out.complete(r);
            } else if (attempt < MAX_ATTEMPTS && !closed && connectionLost(e)
                    && System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pauseMillis(attempt)) < deadline) {
                resent.incrementAndGet();
                after(attempt).execute(() -> readAttempt(command, out, deadline, attempt + 1));
            } else {
                out.completeExceptionally(e);
            }
        });
    }

    /** Whether {@code e} says the connection went away under the command (not a timeout, not a server error). */
    static boolean connectionLost(Throwable e) {
        Throwable t = RedisErrors.unwrap(e);
        if (t instanceof io.lettuce.core.RedisCommandTimeoutException
                || t instanceof io.lettuce.core.RedisCommandExecutionException) {
            return false;
        }
        if (t instanceof java.io.IOException || t instanceof io.lettuce.core.RedisConnectionException) {
            return true;
        }
        String m = t.getMessage();
        return t instanceof io.lettuce.core.RedisException && m != null
                && (m.startsWith("Connection closed") || m.startsWith("Connection disconnected"));
    }

    /** Tests only: see {@link #forgetWriteIdOnResend}. */
    void forgetWriteIdOnResend(boolean forget) {
        this.forgetWriteIdOnResend = forget;
    }

    /** The keys with the record key (always the last) under a fresh write id. */
    private byte[][] withNewWriteId(byte[][] keys) {
        byte[][] copy = keys.clone();
        String record = text(keys[keys.length - 1]);
        copy[keys.length - 1] = utf8(record.substring(0, record.lastIndexOf("}w:") + 3) + ids.next());
        return copy;
    }

    /** Scripts sent again after a lost connection (for tests and health). */
    long resent() {
        return resent.get();
    }

    /** Loads every script into the server's cache (at open; a miss later is handled by {@link #run}). */
    void loadScripts(Duration timeout) throws Exception {
        for (Scripts.Script s : Scripts.ALL) {
            String sha = redis.scriptLoad(s.source()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!s.sha().equalsIgnoreCase(sha)) {
                throw new IllegalStateException("Redis computed another SHA-1 for the " + s.name() + " script: " + sha);
            }
        }
    }

    // ------------------------------------------------------------------ health and durability

    /** The weakest persistence setting of the upstream nodes, and what each node said. */
    record Persistence(Durability weakest, Map<String, String> details) {
    }

    CompletableFuture<Persistence> persistence() {
        List<Connections.Node> nodes;
        try {
            nodes = connections.upstreams();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        List<CompletableFuture<Map<String, String>>> configs = new ArrayList<>();
        List<CompletableFuture<String>> infos = new ArrayList<>();
        for (Connections.Node n : nodes) {
            configs.add(n.commands().configGet("append*").toCompletableFuture()
                    .exceptionally(e -> null));
            infos.add(n.commands().info("server").toCompletableFuture().exceptionally(e -> null));
        }
        return CompletableFuture.allOf(infos.toArray(CompletableFuture[]::new)).thenCombine(
                CompletableFuture.allOf(configs.toArray(CompletableFuture[]::new)), (a, b) -> {
                    Durability weakest = Durability.ALWAYS;
                    Map<String, String> details = new LinkedHashMap<>();
                    Set<String> versions = new java.util.TreeSet<>();
                    for (int i = 0; i < nodes.size(); i++) {
                        Map<String, String> c = configs.get(i).join();
                        String appendonly = Connections.config(c, "appendonly");
                        String appendfsync = Connections.config(c, "appendfsync");
                        Durability d = Durability.of(appendonly, appendfsync);
                        if (d.compareTo(weakest) < 0) {
                            weakest = d;
                        }
                        String prefix = nodes.size() == 1 ? "" : nodes.get(i).label() + " ";
                        details.put(prefix + "appendonly", appendonly == null ? "unknown" : appendonly);
                        details.put(prefix + "appendfsync", appendfsync == null ? "unknown" : appendfsync);
                        String info = infos.get(i).join();
                        if (info != null) {
                            for (String line : info.split("\r?\n")) {
                                if (line.startsWith("redis_version:")) {
                                    versions.add(line.substring("redis_version:".length()).trim());
                                }
                            }
                        }
                    }
                    if (nodes.isEmpty()) {
                        weakest = Durability.UNKNOWN;
                    }
                    details.put("durability", weakest.label());
                    details.put("durability_meaning", weakest.meaning());
                    details.put("redis_version", versions.isEmpty() ? "unknown" : String.join(",", versions));
                    return new Persistence(weakest, details);
                });
    }

    /**
     * For {@code Storage.unwrap}: Lettuce's {@code RedisClusterAsyncCommands<byte[], byte[]>}
     * (keys and values as bytes; the interface of every mode, cluster-aware in Cluster mode) over
     * the backend's own connection, behind a view that refuses what would change or end the
     * shared connection: {@code quit}, {@code setTimeout}, {@code auth}, {@code clientSetname},
     * {@code readOnly}, {@code readWrite} and {@code shutdown} throw
     * {@link UnsupportedOperationException}. Every other command is sent as given (for
     * {@code INFO}, {@code SLOWLOG}, {@code MEMORY USAGE}, {@code SCAN}).
     */
    @Override
    public Map<Class<?>, Object> nativeHandles() {
        Object view = java.lang.reflect.Proxy.newProxyInstance(RedisClusterAsyncCommands.class.getClassLoader(),
                new Class<?>[] {RedisClusterAsyncCommands.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) {
                        return switch (method.getName()) {
                            case "equals" -> proxy == args[0];
                            case "hashCode" -> System.identityHashCode(proxy);
                            case "toString" -> "RedisClusterAsyncCommands of the polystore redis backend (a view)";
                            default -> method.invoke(redis, args);
                        };
                    }
                    if (REFUSED_BY_VIEW.contains(method.getName())) {
                        throw new UnsupportedOperationException("Redis commands handed out by Storage.unwrap share the "
                                + "storage's connection: " + method.getName() + " would change or end it for the storage "
                                + "(close the storage instead, or open a Lettuce client of your own)");
                    }
                    if (closed) {
                        throw closedException();
                    }
                    try {
                        return method.invoke(redis, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return Map.of(RedisClusterAsyncCommands.class, view);
    }

    /** Methods of the commands interface the unwrap view refuses: they change or end the shared connection. */
    private static final Set<String> REFUSED_BY_VIEW = Set.of("quit", "setTimeout", "auth", "clientSetname",
            "readOnly", "readWrite", "shutdown", "clientNoEvict", "clientTracking", "hello", "select", "swapdb");

    @Override
    public CompletableFuture<Health> health() {
        long start = System.nanoTime();
        Map<String, String> details = new LinkedHashMap<>();
        details.put("mode", settings.mode().label());
        details.put("nodes", settings.nodes().toString());
        details.put("key_prefix", settings.keyPrefix());
        if (closed) {
            details.put("error", "closed");
            return CompletableFuture.completedFuture(new Health(false, NAME, Duration.ZERO, details));
        }
        CompletableFuture<String> ping;
        try {
            ping = redis.ping().toCompletableFuture();
        } catch (RuntimeException e) {
            ping = CompletableFuture.failedFuture(e);
        }
        return ping.thenCompose(pong -> {
            Duration latency = Duration.ofNanos(System.nanoTime() - start);
            return persistence().handle((p, e) -> {
                if (p != null) {
                    details.putAll(p.details());
                } else {
                    details.put("durability", Durability.UNKNOWN.label());
                }
                return new Health("PONG".equalsIgnoreCase(pong), NAME, latency, details);
            });
        }).exceptionally(e -> {
            details.put("error", String.valueOf(RedisErrors.map(e, "health check", false, null).getMessage()));
            return new Health(false, NAME, Duration.ofNanos(System.nanoTime() - start), details);
        });
    }

    // ------------------------------------------------------------------ lifecycle

    /** Runs one call, counted in flight so that {@link #close()} can wait for it. */
    private <T> CompletableFuture<T> call(String what, boolean write, Key key, Supplier<CompletionStage<T>> op) {
        inFlight.incrementAndGet();
        if (closed) {
            done();
            return CompletableFuture.failedFuture(closedException());
        }
        CompletionStage<T> stage;
        try {
            stage = op.get();
        } catch (RuntimeException e) {
            done();
            return CompletableFuture.failedFuture(RedisErrors.map(e, what, write, key));
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        stage.whenComplete((v, e) -> {
            try {
                if (e == null) {
                    result.complete(v);
                } else {
                    result.completeExceptionally(RedisErrors.map(e, what, write, key));
                }
            } finally {
                done();
            }
        });
        return result;
    }

    private void done() {
        if (inFlight.decrementAndGet() == 0 && closed) {
            synchronized (drained) {
                drained.notifyAll();
            }
        }
    }

    private UnavailableException closedException() {
        return new UnavailableException("the redis backend is closed", null);
    }

    /** Calls in flight (for tests). */
    int inFlight() {
        return inFlight.get();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (connectionClosed) {
                return;
            }
            closed = true;
            long deadline = System.nanoTime() + settings.closeTimeout().toNanos();
            synchronized (drained) {
                while (inFlight.get() > 0) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    try {
                        drained.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        break;
                    }
                }
            }
            int left = inFlight.get();
            if (left > 0) {
                LOG.warn("Closing the redis backend with {} calls still in flight after close_timeout_ms = {}: they fail "
                        + "(writes as outcome unknown)", left, settings.closeTimeout().toMillis());
            }
            connectionClosed = true;
            try {
                connections.close();
            } catch (RuntimeException e) {
                LOG.warn("Closing the Redis connection failed", e);
            }
        }
    }

    // ------------------------------------------------------------------ encoding

    private static byte[] condition(Condition c) {
        if (c instanceof Condition.None) {
            return new byte[] {'n'};
        } else if (c instanceof Condition.IfAbsent) {
            return new byte[] {'a'};
        } else if (c instanceof Condition.IfExists) {
            return new byte[] {'e'};
        } else if (c instanceof Condition.IfVersion) {
            return new byte[] {'v'};
        }
        throw new IllegalArgumentException("unknown condition " + c);
    }

    private static byte[] expected(Condition c) {
        return c instanceof Condition.IfVersion v ? ascii(v.version()) : EMPTY;
    }

    private static byte[] expiry(Instant at) {
        return at == null ? EMPTY : ascii(at.getEpochSecond());
    }

    private static byte[] ascii(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static long number(Object o) {
        if (o instanceof Long l) {
            return l;
        }
        return Long.parseLong(text((byte[]) o));
    }
}
