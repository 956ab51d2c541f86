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
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.ScanPage;
import dev.polystore.spi.ScanPlan;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.TableNames;
import dev.polystore.spi.WriteOp;
import io.lettuce.core.KeyValue;
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
        this.capabilities = new Capabilities(EnumSet.of(Capability.TRANSACTIONS, Capability.BATCH, Capability.EXPIRY, Capability.SCAN),
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
                byte[][] again = forgetWriteIdOnResend && script != Scripts.QUERY ? withNewWriteId(keys) : keys;
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

    // ------------------------------------------------------------------ whole-store reads

    /** {@code SCAN} steps one page may take while it has found fewer keys than its limit. */
    static final int SCAN_STEPS_PER_PAGE = 64;
    /** The most payload bytes one page carries beyond its first item. */
    static final long MAX_PAGE_BYTES = 4L * 1024 * 1024;
    private static final int POSITION_FORMAT = 1;

    /**
     * Reads a whole store ({@link Capability#SCAN}: migration, index builds) with {@code SCAN … MATCH} over
     * the store's item hashes ({@code <prefix>{*}i:<store>:*}; every key found is checked against
     * the layout, since a sort key may contain what the pattern matches), one master after the
     * other (sorted by cluster node id; one master outside Cluster), then {@code HMGET p v e} of
     * each hash found. One segment per store ({@link #scanSegments}). A page holds at most the limit and at most
     * {@value #MAX_PAGE_BYTES} bytes of payload beyond its first item: the keys a {@code SCAN} step
     * found beyond that travel in the position (with the node id and the {@code SCAN} cursor), so
     * resuming from a position continues exactly where its page ended, in any process, while the
     * deployment's masters stay the same.
     *
     * <p>Redis keeps no order of partitions, so the read is in {@code SCAN} order, not in key
     * order. {@code SCAN} returns every key that exists throughout, but may return a key twice when
     * Redis shrinks its key table between two steps (after mass deletions): then, and only then,
     * this scan breaks the SPI's at-most-once promise (an index build writes the same entries
     * again, harmless; a copy with {@code IF_NEWER} keeps what it wrote). On a Cluster whose
     * masters changed (failover, resharding) since a position was handed out, that position cannot
     * be resumed: the read fails with a {@link ValidationException} naming the node. (Indexes
     * themselves are refused on a Cluster, whose transactions stay within one partition key.)
     */
    /** Marks the positions of the empty segments of a plan (Redis reads a store in one segment). */
    private static final String EMPTY_SEGMENT = "-empty-";

    /**
     * The stores with items, from a {@code SCAN … MATCH <prefix>{*}z:*} over every master (each
     * partition of a store has one sorted set): visits every key of the database; sorted by name.
     */
    @Override
    public CompletableFuture<List<String>> listTables() {
        List<Connections.Node> nodes = connections.scanNodes();
        return call("list the stores", false, null, () -> listTables(nodes, 0, "0", new java.util.TreeSet<>()));
    }

    private CompletableFuture<List<String>> listTables(List<Connections.Node> nodes, int node, String cursor,
                                                       java.util.TreeSet<String> names) {
        byte[] keyPrefix = layout.tag("");
        byte[] pattern = Layout.concat(globEscape(java.util.Arrays.copyOf(keyPrefix, keyPrefix.length - 2)),
                "{*}z:*".getBytes(StandardCharsets.US_ASCII));
        io.lettuce.core.ScanArgs args = io.lettuce.core.ScanArgs.Builder.matches(pattern).limit(1000);
        RedisClusterAsyncCommands<byte[], byte[]> commands = nodes.get(node).commands();
        return read(() -> commands.scan(io.lettuce.core.ScanCursor.of(cursor), args)).thenCompose(step -> {
            for (byte[] key : step.getKeys()) {
                String name = indexTable(key);
                if (name != null && TableNames.isValid(name)) {
                    names.add(name);
                }
            }
            if (!(step.isFinished() || "0".equals(step.getCursor()))) {
                return listTables(nodes, node, step.getCursor(), names);
            }
            if (node + 1 < nodes.size()) {
                return listTables(nodes, node + 1, "0", names);
            }
            return CompletableFuture.completedFuture(List.copyOf(names));
        });
    }

    /** The store of a partition's sorted set {@code <prefix>{<pk>}z:<store>}, or null for another key. */
    private String indexTable(byte[] key) {
        byte[] start = layout.tag("");
        int open = start.length - 2;
        if (key.length < open + 2 || key[open] != '{') {
            return null;
        }
        for (int i = 0; i < open; i++) {
            if (key[i] != start[i]) {
                return null;
            }
        }
        for (int i = open + 1; i < key.length; i++) {
            if (key[i] == '}') {
                String rest = new String(key, i + 1, key.length - i - 1, StandardCharsets.UTF_8);
                return rest.startsWith("z:") ? rest.substring(2) : null;
            }
        }
        return null;
    }

    /**
     * One segment for the whole store (a {@code SCAN} cannot be split into disjoint parts): the
     * plan's first position reads everything, the others are empty.
     */
    @Override
    public CompletableFuture<ScanPlan> scanSegments(String table, int segments) {
        if (segments < 1 || segments > 10_000) {
            return CompletableFuture.failedFuture(new ValidationException("segments must be 1 to 10000, got " + segments));
        }
        try {
            TableNames.require(table);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (closed) {
            return CompletableFuture.failedFuture(closedException());
        }
        List<Connections.Node> nodes = connections.scanNodes();
        List<String> positions = new ArrayList<>(segments);
        positions.add(new ScanPosition(nodes.get(0).label(), "0", List.of()).encode());
        for (int i = 1; i < segments; i++) {
            positions.add(new ScanPosition(EMPTY_SEGMENT + i, DONE_CURSOR, List.of()).encode());
        }
        return CompletableFuture.completedFuture(new ScanPlan(positions, -1));
    }

    @Override
    public CompletableFuture<ScanPage> scan(String table, String position, int limit) {
        if (limit < 1 || limit > 1000) {
            return CompletableFuture.failedFuture(new ValidationException("scan page limit must be 1 to 1000, got "
                    + limit));
        }
        try {
            TableNames.require(table);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        ScanPosition start;
        try {
            start = ScanPosition.decode(java.util.Objects.requireNonNull(position, "position"));
        } catch (IllegalArgumentException | NullPointerException e) {
            return CompletableFuture.failedFuture(new ValidationException("not a scan position of the redis backend ("
                    + e.getMessage() + ")"));
        }
        if (start.node().startsWith(EMPTY_SEGMENT)) {
            return CompletableFuture.completedFuture(new ScanPage(List.of(), null, 0));
        }
        List<Connections.Node> nodes = connections.scanNodes();
        int node = -1;
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).label().equals(start.node())) {
                node = i;
            }
        }
        if (node < 0) {
            return CompletableFuture.failedFuture(new ValidationException("the Redis node " + start.node()
                    + " this scan was resumed on is no longer a master (failover or resharding): a SCAN cannot "
                    + "resume on other nodes; scan again from the start"));
        }
        long now = clock.millis();
        int first = node;
        return call("scan store '" + table + "'", false, null,
                () -> collect(table, nodes, first, start.cursor(), new ArrayList<>(start.pending()), limit, 0)
                        .thenCompose(c -> page(table, c, limit, now)));
    }

    /** Where a whole-store read resumes: a node, its SCAN cursor, and keys found but not yet returned. */
    record ScanPosition(String node, String cursor, List<Key> pending) {
        String encode() {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
                out.writeByte(POSITION_FORMAT);
                out.writeUTF(node);
                out.writeUTF(cursor);
                out.writeInt(pending.size());
                for (Key k : pending) {
                    out.writeUTF(k.pk());
                    out.writeUTF(k.sk());
                }
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.toByteArray());
        }

        static ScanPosition decode(String position) {
            try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(
                    java.util.Base64.getUrlDecoder().decode(position)))) {
                if (in.readByte() != POSITION_FORMAT) {
                    throw new IllegalArgumentException("unknown format");
                }
                String node = in.readUTF();
                String cursor = in.readUTF();
                if (!cursor.matches("[0-9]+")) {
                    throw new IllegalArgumentException("not a SCAN cursor");
                }
                int n = in.readInt();
                if (n < 0 || n > 100_000) {
                    throw new IllegalArgumentException("bad key count");
                }
                List<Key> pending = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    pending.add(new Key(in.readUTF(), in.readUTF()));
                }
                if (in.read() != -1) {
                    throw new IllegalArgumentException("trailing bytes");
                }
                return new ScanPosition(node, cursor, pending);
            } catch (java.io.IOException | RuntimeException e) {
                throw new IllegalArgumentException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
            }
        }
    }

    /** The keys of a page (at most {@code limit}), the keys found beyond them, and where SCAN goes on (node -1 = done). */
    private record Collected(List<Key> keys, List<Key> beyond, List<Connections.Node> nodes, int node, String cursor) {
        String position(List<Key> notReturned) {
            List<Key> pending = new ArrayList<>(notReturned);
            pending.addAll(beyond);
            if (node < 0 && pending.isEmpty()) {
                return null;
            }
            return node < 0 ? new ScanPosition(nodes.get(nodes.size() - 1).label(), DONE_CURSOR, pending).encode()
                    : new ScanPosition(nodes.get(node).label(), cursor, pending).encode();
        }
    }

    /** Marks a position whose SCAN is over (only its pending keys are left); never a real cursor. */
    private static final String DONE_CURSOR = "00";

    /** Gathers keys from the pending ones, then SCAN steps, until {@code limit} are found or the store is read. */
    private CompletableFuture<Collected> collect(String table, List<Connections.Node> nodes, int node, String cursor,
                                                 List<Key> found, int limit, int steps) {
        boolean scanDone = DONE_CURSOR.equals(cursor);
        if (found.size() >= limit || scanDone || steps >= SCAN_STEPS_PER_PAGE) {
            List<Key> keys = new ArrayList<>(found.subList(0, Math.min(limit, found.size())));
            List<Key> beyond = new ArrayList<>(found.subList(keys.size(), found.size()));
            return CompletableFuture.completedFuture(new Collected(keys, beyond, nodes, scanDone ? -1 : node, cursor));
        }
        byte[] keyPrefix = layout.tag(""); // the prefix, then "{}"
        byte[] pattern = Layout.concat(globEscape(java.util.Arrays.copyOf(keyPrefix, keyPrefix.length - 2)),
                ("{*}i:" + table + ":*").getBytes(StandardCharsets.US_ASCII));
        io.lettuce.core.ScanArgs args = io.lettuce.core.ScanArgs.Builder.matches(pattern)
                .limit(Math.max(10, Math.min(limit, 100)));
        RedisClusterAsyncCommands<byte[], byte[]> commands = nodes.get(node).commands();
        return read(() -> commands.scan(io.lettuce.core.ScanCursor.of(cursor), args)).thenCompose(step -> {
            Set<Key> seen = new HashSet<>(found);
            List<Key> batch = new ArrayList<>();
            for (byte[] key : step.getKeys()) {
                Key k = itemKey(key, table);
                if (k != null && seen.add(k)) {
                    batch.add(k);
                }
            }
            batch.sort(Comparator.comparing(Key::pk).thenComparing(Key::sk)); // a stable order within a step
            found.addAll(batch);
            boolean nodeDone = step.isFinished() || "0".equals(step.getCursor());
            if (!nodeDone) {
                return collect(table, nodes, node, step.getCursor(), found, limit, steps + 1);
            }
            if (node + 1 < nodes.size()) {
                return collect(table, nodes, node + 1, "0", found, limit, steps + 1);
            }
            return collect(table, nodes, node, DONE_CURSOR, found, limit, steps + 1);
        });
    }

    /** Reads the collected keys' hashes; the page ends early at {@link #MAX_PAGE_BYTES}, the rest stays pending. */
    private CompletableFuture<ScanPage> page(String table, Collected c, int limit, long now) {
        List<CompletableFuture<List<KeyValue<byte[], byte[]>>>> reads = new ArrayList<>(c.keys().size());
        for (Key k : c.keys()) {
            byte[] item = layout.item(table, k);
            reads.add(read(() -> redis.hmget(item, P, V, E)));
        }
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<RawItem> items = new ArrayList<>(c.keys().size());
            long bytes = 0;
            int expired = 0;
            for (int i = 0; i < c.keys().size(); i++) {
                List<KeyValue<byte[], byte[]>> fields = reads.get(i).join();
                RawItem item = item(c.keys().get(i), fields, now);
                if (item == null) {
                    if (fields.size() >= 3 && fields.get(1).hasValue()) {
                        expired++; // there, but expired; otherwise deleted since SCAN found it
                    }
                    continue;
                }
                if (!items.isEmpty() && bytes + item.payload().length > MAX_PAGE_BYTES) {
                    return new ScanPage(items, c.position(c.keys().subList(i, c.keys().size())), expired);
                }
                if (!items.isEmpty()) {
                    bytes += item.payload().length;
                }
                items.add(item);
            }
            return new ScanPage(items, c.position(List.of()), expired);
        });
    }

    /** The key of an item hash of {@code table}, or null if {@code key} is none (another store, another kind of key). */
    private Key itemKey(byte[] key, String table) {
        byte[] start = layout.tag("");
        int open = start.length - 2; // the prefix, then '{'
        if (key.length < open + 2 || key[open] != '{') {
            return null;
        }
        for (int i = 0; i < open; i++) {
            if (key[i] != start[i]) {
                return null;
            }
        }
        int close = -1;
        for (int i = open + 1; i < key.length; i++) {
            if (key[i] == '}') {
                close = i;
                break;
            }
        }
        byte[] kind = ("i:" + table + ":").getBytes(StandardCharsets.US_ASCII);
        if (close < 0 || key.length < close + 1 + kind.length) {
            return null;
        }
        for (int i = 0; i < kind.length; i++) {
            if (key[close + 1 + i] != kind[i]) {
                return null;
            }
        }
        String pk = unescape(new String(key, open + 1, close - open - 1, StandardCharsets.UTF_8));
        String sk = new String(key, close + 1 + kind.length, key.length - close - 1 - kind.length, StandardCharsets.UTF_8);
        return pk == null ? null : new Key(pk, sk);
    }

    /** Undoes {@link Layout#tag}'s escaping ({@code %25} and {@code %7D}); null for anything else after a {@code %}. */
    private static String unescape(String escaped) {
        if (escaped.indexOf('%') < 0) {
            return escaped;
        }
        StringBuilder out = new StringBuilder(escaped.length());
        for (int i = 0; i < escaped.length(); i++) {
            char c = escaped.charAt(i);
            if (c != '%') {
                out.append(c);
            } else if (escaped.startsWith("%25", i)) {
                out.append('%');
                i += 2;
            } else if (escaped.startsWith("%7D", i)) {
                out.append('}');
                i += 2;
            } else {
                return null;
            }
        }
        return out.toString();
    }

    /** {@code bytes} with every glob character of {@code SCAN MATCH} escaped. */
    private static byte[] globEscape(byte[] bytes) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(bytes.length + 8);
        for (byte b : bytes) {
            if (b == '*' || b == '?' || b == '[' || b == ']' || b == '\\' || b == '^' || b == '-') {
                out.write('\\');
            }
            out.write(b);
        }
        return out.toByteArray();
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
