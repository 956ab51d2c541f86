package dev.polystore.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import dev.polystore.BatchWriteException;
import dev.polystore.Capabilities;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.ConfigurationException;
import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.spi.ImportMode;
import dev.polystore.spi.IndexAccelerator;
import dev.polystore.spi.ImportOutcome;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.KeySegment;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.ScanPage;
import dev.polystore.spi.ScanPlan;
import dev.polystore.spi.SortKeys;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.TableNames;
import dev.polystore.spi.WriteOp;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL engine: pgjdbc over a HikariCP pool, one table per store ({@link Sql}).
 *
 * <p><b>Threads.</b> pgjdbc blocks. With {@code run_on_caller} (the default) an operation runs on
 * the calling thread when one of the {@code pool_size} connection slots is free, and the future
 * it returns is already complete: no thread hand-off, which on a small machine costs more than a
 * loopback round trip. The caller then blocks for at most what the future would have taken to
 * fail (the pool's {@code connect_timeout_ms} plus {@code socket_timeout_ms} on a hung path).
 * Otherwise (every slot busy, {@code run_on_caller = false}, or a call from one of this backend's
 * callback threads) the operation is a task for one of {@code pool_size} daemon worker threads
 * ({@code polystore-postgres-N-worker-M}), which borrows a pooled connection for the task only,
 * and its future completes on a {@code polystore-postgres-N-callback-M} thread (a cached pool), so
 * a callback that blocks never holds a worker. A queued task whose future was cancelled before it
 * started sends nothing; a task that has started always runs its statement to the end (workers
 * are never interrupted), so cancelling never leaves a half-sent statement or a connection in an
 * unknown state.
 *
 * <p><b>Writes.</b> Each single-item write is one autocommit statement that checks its condition
 * and computes the new version in SQL ({@code INSERT … ON CONFLICT … DO UPDATE … WHERE} or
 * {@code UPDATE … WHERE version = n}), expiry-aware (a write over an expired row starts at
 * version 1), and stores a fresh write token. If the connection fails while the statement may
 * have run, the row is read back on another connection: this write's token proves it committed
 * (success); otherwise the outcome is {@link OutcomeUnknownException}.
 *
 * <p><b>Transactions</b> (READ COMMITTED): the keys of every table are locked first, tables in
 * name order and keys in byte order within a table, by one {@code INSERT … ON CONFLICT DO UPDATE
 * … WHERE false} per table, which row-locks existing rows and inserts an already-expired
 * placeholder (version 0) for absent keys, so that absent keys are locked too and concurrent
 * transactions over common keys run one after the other without deadlocks. Then the locked rows
 * are read, the conditions checked, the puts applied as one {@code UPDATE … FROM unnest(…)} per
 * table and the deletes (and placeholders not written) as one {@code DELETE … USING unnest(…)}.
 * The transaction id is read before {@code COMMIT}; if the connection fails during
 * {@code COMMIT}, {@code txid_status} on another connection tells committed (success) from
 * aborted ({@link UnavailableException}), or else the outcome is unknown.
 *
 * <p><b>Batches</b>: one statement per chunk of puts ({@code INSERT … SELECT … FROM unnest(…)
 * ON CONFLICT …}), or, for a chunk of at least {@link #COPY_MIN_ITEMS} new keys, one transaction
 * with a {@code COPY} ({@code copyNew}); one statement per chunk of deletes; keys in byte order.
 * Each chunk applies all its items or none, so failures are reported key by key
 * ({@link BatchWriteException}).
 *
 * <p>Every SPI method returns a future and never throws. Thread-safe.
 */
final class PostgresBackend implements StorageBackend {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresBackend.class);

    /** DynamoDB's transaction limits, so a transaction that works here works there. */
    static final int MAX_TRANSACTION_ITEMS = 100;
    static final long MAX_TRANSACTION_BYTES = 4L * 1024 * 1024;
    /** Keys per batch call; the API splits larger batches. */
    static final int MAX_BATCH_GET = 500;
    static final int MAX_BATCH_WRITE = 500;
    /** Batch chunks of fewer puts are always one upsert statement (one round trip instead of four). */
    static final int COPY_MIN_ITEMS = 64;
    /** After a chunk found stored keys, this many chunks of its table skip the probe for {@code COPY}. */
    static final int COPY_SKIPS_AFTER_HIT = 15;
    /** Most payload bytes one batch statement carries; a larger chunk is sent as several statements. */
    static final long MAX_STATEMENT_BYTES = 8L * 1024 * 1024;
    /** Most expired rows one purge statement deletes; a purge repeats while it deletes this many. */
    static final int PURGE_BATCH = 1000;
    /** Placeholder rows of transactions have this version (and an expiry in 1970). */
    static final long PLACEHOLDER_VERSION = 0;

    private static final Capabilities CAPABILITIES = Capabilities.builder()
            .transactions(MAX_TRANSACTION_ITEMS, MAX_TRANSACTION_BYTES)
            .batch(MAX_BATCH_GET, MAX_BATCH_WRITE)
            .expiry()
            .scan()
            .importItems()
            .nativeIndexes()
            .build();
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    private static final ThreadLocal<PostgresBackend> CALLBACK_OWNER = new ThreadLocal<>();

    private final PostgresSettings settings;
    private final Clock clock;
    private final Sql sql;
    private final PgErrors errors;
    private final HikariDataSource pool;
    private final WriteTokens tokens = new WriteTokens();
    private final ThreadPoolExecutor workers;
    private final ThreadPoolExecutor completions;
    private final ScheduledExecutorService purger;
    /** Cancels statements that outrun {@code statement_timeout_ms} ({@link #watchStatements}). */
    private final ScheduledExecutorService watchdog;
    /** Statements prepared and not yet seen closed, with their deadlines. */
    private final java.util.concurrent.ConcurrentLinkedQueue<Deadline> deadlines = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final Set<String> preparedTables = ConcurrentHashMap.newKeySet();
    /** One per pooled connection: held by whoever (worker or caller) runs an operation. */
    private final java.util.concurrent.Semaphore slots;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final String serverVersion;
    private final boolean synchronousCommitSent;
    private final int schemaVersionFound;
    private final AtomicLong purged = new AtomicLong();
    private final AtomicLong batchCopies = new AtomicLong();

    private PostgresBackend(PostgresSettings settings, Clock clock, Sql sql, HikariDataSource pool, String serverVersion,
                            boolean synchronousCommitSent, int schemaVersionFound) {
        this.settings = settings;
        this.clock = clock;
        this.sql = sql;
        this.pool = pool;
        this.errors = new PgErrors(settings.describe());
        this.serverVersion = serverVersion;
        this.synchronousCommitSent = synchronousCommitSent;
        this.schemaVersionFound = schemaVersionFound;
        this.slots = new java.util.concurrent.Semaphore(settings.poolSize());
        int id = INSTANCES.incrementAndGet();
        this.workers = new ThreadPoolExecutor(settings.poolSize(), settings.poolSize(), 0, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), threads("polystore-postgres-" + id + "-worker-"));
        ThreadFactory callbackThreads = threads("polystore-postgres-" + id + "-callback-");
        this.completions = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> callbackThreads.newThread(() -> {
                    CALLBACK_OWNER.set(this);
                    r.run();
                }));
        this.purger = Executors.newSingleThreadScheduledExecutor(threads("polystore-postgres-" + id + "-purge-"));
        this.watchdog = Executors.newSingleThreadScheduledExecutor(threads("polystore-postgres-" + id + "-watchdog-"));
        watchdog.scheduleWithFixedDelay(this::watchStatements, WATCHDOG_TICK_MS, WATCHDOG_TICK_MS, TimeUnit.MILLISECONDS);
        long interval = settings.expiryPurgeInterval().toMillis();
        if (interval > 0) {
            purger.scheduleWithFixedDelay(this::purgeInBackground, interval, interval, TimeUnit.MILLISECONDS);
        }
    }

    // ------------------------------------------------------------------ opening

    /**
     * Connects once (outside the pool) to read the server's version and {@code synchronous_commit}
     * and to check or migrate the schema, then opens the pool: with the connection option
     * {@code -c synchronous_commit=<configured>} only if the server's own setting differs, so that
     * against a server (or pooler) already at the configured level no startup option is sent.
     */
    static PostgresBackend open(PostgresSettings settings, Clock clock) {
        Sql sql = new Sql(settings.schema(), settings.tablePrefix());
        PgErrors errors = new PgErrors(settings.describe());
        String serverVersion;
        boolean sendSync;
        int found;
        try (Connection c = DriverManager.getConnection(settings.url(), driverProperties(settings, false))) {
            String serverSync;
            int versionNum;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                    "SELECT current_setting('server_version'), current_setting('server_version_num')::int, "
                            + "current_setting('synchronous_commit')")) {
                rs.next();
                serverVersion = rs.getString(1);
                versionNum = rs.getInt(2);
                serverSync = rs.getString(3);
            }
            if (versionNum < 120000) {
                throw new ConfigurationException("PostgreSQL " + serverVersion + " at " + settings.describe()
                        + " is too old: storage-postgres needs PostgreSQL 12 or newer");
            }
            sendSync = !settings.synchronousCommit().equals("server") && !settings.synchronousCommit().equals(serverSync);
            found = Schema.migrate(c, sql, settings, clock);
        } catch (SQLException e) {
            throw openFailure(settings, errors, e);
        }
        HikariDataSource pool = pool(settings, sendSync);
        try (Connection c = pool.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW synchronous_commit")) {
            rs.next();
            String effective = rs.getString(1);
            if (!settings.synchronousCommit().equals("server") && !settings.synchronousCommit().equals(effective)) {
                throw new ConfigurationException("storage.postgres.synchronous_commit = " + settings.synchronousCommit()
                        + ", but connections to " + settings.describe() + " report " + effective + (sendSync
                        ? " although it was sent as a connection option (a pooler such as PgBouncer may drop options): "
                        + "set it on the role or database (ALTER ROLE … SET synchronous_commit = "
                        + settings.synchronousCommit() + ") or set synchronous_commit = \"server\" to accept the server's"
                        : ""));
            }
        } catch (SQLException e) {
            pool.close();
            throw openFailure(settings, errors, e);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
        LOG.debug("Opened PostgreSQL {} at {} (schema version {} found, {} now; synchronous_commit {} {})", serverVersion,
                settings.describe(), found, Schema.CURRENT, settings.synchronousCommit(),
                sendSync ? "sent as a connection option" : "as the server's");
        return new PostgresBackend(settings, clock, sql, pool, serverVersion, sendSync, found);
    }

    private static StoreException openFailure(PostgresSettings settings, PgErrors errors, SQLException e) {
        String s = PgErrors.state(e);
        if (s.startsWith("28")) {
            return new ConfigurationException("PostgreSQL refused the login to " + settings.describe() + ": " + e.getMessage()
                    + "; check storage.postgres.user and storage.postgres.password (or password_env)", e);
        }
        if (s.equals("3D000")) {
            return new ConfigurationException("PostgreSQL database \"" + settings.database() + "\" does not exist ("
                    + settings.describe() + "); check storage.postgres.database or url", e);
        }
        if (s.equals("42501")) {
            return new ConfigurationException("PostgreSQL user lacks a permission at " + settings.describe() + ": "
                    + e.getMessage(), e);
        }
        if (PgErrors.connectionLost(e) || s.startsWith("53")) {
            return new UnavailableException("could not connect to PostgreSQL at " + settings.describe() + ": "
                    + e.getMessage() + " (check storage.postgres.url or host/port, and that the server runs)", e);
        }
        return errors.map("open the backend", e);
    }

    static Properties driverProperties(PostgresSettings settings, boolean withSync) {
        Properties p = new Properties();
        settings.driverProperties(withSync).forEach(p::setProperty);
        if (settings.user() != null) {
            p.setProperty("user", settings.user());
        }
        if (settings.password() != null) {
            p.setProperty("password", settings.password());
        }
        return p;
    }

    private static HikariDataSource pool(PostgresSettings settings, boolean withSync) {
        HikariConfig h = new HikariConfig();
        h.setPoolName("polystore-postgres-" + (INSTANCES.get() + 1));
        h.setJdbcUrl(settings.url());
        Properties p = new Properties();
        settings.driverProperties(withSync).forEach(p::setProperty);
        h.setDataSourceProperties(p);
        if (settings.user() != null) {
            h.setUsername(settings.user());
        }
        if (settings.password() != null) {
            h.setPassword(settings.password());
        }
        h.setMaximumPoolSize(settings.poolSize());
        h.setMinimumIdle(settings.poolMinIdle());
        h.setConnectionTimeout(Math.max(250, settings.connectTimeout().toMillis()));
        h.setValidationTimeout(Math.max(250, Math.min(settings.connectTimeout().toMillis(), 5_000) - 1));
        h.setAutoCommit(true);
        h.setInitializationFailTimeout(-1);
        h.setRegisterMbeans(false);
        return new HikariDataSource(h);
    }

    @Override
    public String name() {
        return PostgresStorageProvider.NAME;
    }

    @Override
    public Capabilities capabilities() {
        return CAPABILITIES;
    }

    /** The schema version found when opening (0 for a new schema). */
    int schemaVersionFound() {
        return schemaVersionFound;
    }

    /** Whether {@code synchronous_commit} is sent as a connection option (the server's own differs). */
    boolean synchronousCommitSent() {
        return synchronousCommitSent;
    }

    /** Expired rows deleted by purges so far. */
    long purged() {
        return purged.get();
    }

    /** Batch chunks written with {@code COPY} so far. */
    long batchCopies() {
        return batchCopies.get();
    }

    // ------------------------------------------------------------------ running work

    /** What one attempt learned before it failed, for resolving an ambiguous outcome. */
    static final class Attempt {
        /** The transaction id, once read; -1 before. */
        long txid = -1;
        /** Whether COMMIT (or an autocommit write) was sent. */
        boolean writeSent;
        /** A transaction's versions, set just before its COMMIT. */
        List<Long> versions;
    }

    /** The body of a task, on a borrowed connection. */
    private interface Work<T> {
        T run(Connection c, Instant now, Attempt attempt) throws SQLException;
    }

    /** Decides a write whose connection failed after it may have been applied; runs after the broken connection is returned. */
    private interface Lost<T> {
        T resolve(SQLException failure, Attempt attempt, Instant now) throws StoreException;
    }

    /** A queued task, recognisable so that close can fail it if it never ran. */
    private record Task(CompletableFuture<?> future, Supplier<String> what, Runnable body) implements Runnable {
        @Override
        public void run() {
            body.run();
        }
    }

    private <T> CompletableFuture<T> submit(Supplier<String> what, Work<T> work, Lost<T> lost) {
        if (closed.get()) {
            return closedFuture();
        }
        if (settings.runOnCaller() && CALLBACK_OWNER.get() == null && slots.tryAcquire()) {
            // A connection slot is free: run here, no thread hand-off; the future is complete when returned.
            try {
                if (closed.get()) {
                    return closedFuture();
                }
                Outcome<T> o = attempt(what, work, lost);
                return o.failure == null ? CompletableFuture.completedFuture(o.value) : CompletableFuture.failedFuture(o.failure);
            } finally {
                slots.release();
            }
        }
        CompletableFuture<T> future = new CompletableFuture<>();
        try {
            workers.execute(new Task(future, what, () -> {
                if (future.isDone()) {
                    return; // cancelled before it started: nothing was sent
                }
                slots.acquireUninterruptibly();
                Outcome<T> o;
                try {
                    o = attempt(what, work, lost);
                } finally {
                    slots.release();
                }
                complete(future, o.value, o.failure);
            }));
        } catch (RejectedExecutionException e) {
            return closedFuture();
        }
        return future;
    }

    /** A value or a failure. */
    private record Outcome<T>(T value, StoreException failure) {
    }

    /** Runs {@code work} on a borrowed connection, resolving a lost write with {@code lost} after returning it. */
    private <T> Outcome<T> attempt(Supplier<String> what, Work<T> work, Lost<T> lost) {
        Instant now = clock.instant();
        Attempt attempt = new Attempt();
        SQLException lostWith = null;
        try (Connection c = pool.getConnection()) {
            return new Outcome<>(work.run(c, now, attempt), null);
        } catch (SQLException e) {
            if (lost != null && attempt.writeSent && !PgErrors.noConnection(e) && PgErrors.connectionLost(e)) {
                lostWith = e;
            } else {
                return new Outcome<>(null, errors.map(what.get(), e));
            }
        } catch (StoreException e) {
            return new Outcome<>(null, e);
        } catch (RuntimeException e) {
            return new Outcome<>(null, new StoreException("PostgreSQL could not " + what.get() + ": " + e, e));
        }
        LOG.debug("Connection lost while a write may have been applied ({}); resolving", lostWith.getMessage());
        try {
            return new Outcome<>(lost.resolve(lostWith, attempt, now), null);
        } catch (StoreException e) {
            return new Outcome<>(null, e);
        }
    }

    private <T> void complete(CompletableFuture<T> future, T value, StoreException failure) {
        Runnable completion = failure == null ? () -> future.complete(value) : () -> future.completeExceptionally(failure);
        try {
            completions.execute(completion);
        } catch (RejectedExecutionException e) {
            completion.run();
        }
    }

    /** How often the watchdog looks for statements past {@code statement_timeout_ms}. */
    static final long WATCHDOG_TICK_MS = 100;

    /** A prepared statement and the time (System.nanoTime) after which it is cancelled if still running. */
    private record Deadline(PreparedStatement statement, long at) {
    }

    /**
     * Prepares {@code statement}, bounded by {@code statement_timeout_ms}: the watchdog cancels it
     * (pgjdbc's {@code Statement.cancel}, a cancel request on another connection) if it is still
     * running then. Not pgjdbc's own query timeout, which schedules a timer task per execution and
     * wakes the timer thread each time (about 13 µs per statement on a 2-core machine, measured).
     * {@code cancel} acts only while that statement is executing, so a late cancel never reaches
     * a statement that ran after it on the same connection.
     */
    private PreparedStatement prepare(Connection c, String statement) throws SQLException {
        PreparedStatement ps = c.prepareStatement(statement);
        deadlines.add(new Deadline(ps, System.nanoTime() + settings.statementTimeout().toNanos()));
        return ps;
    }

    /** Every {@link #WATCHDOG_TICK_MS}: forgets closed statements, cancels running ones past their deadline. */
    private void watchStatements() {
        long now = System.nanoTime();
        for (java.util.Iterator<Deadline> it = deadlines.iterator(); it.hasNext(); ) {
            Deadline d = it.next();
            try {
                if (d.statement().isClosed()) {
                    it.remove();
                } else if (now - d.at() >= 0) {
                    it.remove();
                    d.statement().cancel();
                }
            } catch (SQLException | RuntimeException e) {
                it.remove();
                LOG.debug("Could not cancel a statement past statement_timeout_ms: {}", e.getMessage());
            }
        }
    }

    /** Binds a select's parameters: {@code byte[]} keys as {@code bytea}, everything else a {@code long}. */
    private static void bind(PreparedStatement ps, List<Object> params) throws SQLException {
        for (int i = 0; i < params.size(); i++) {
            Object p = params.get(i);
            if (p instanceof byte[] b) {
                ps.setBytes(i + 1, b);
            } else {
                ps.setLong(i + 1, (Long) p);
            }
        }
    }

    // ------------------------------------------------------------------ tables

    @Override
    public CompletableFuture<Void> prepareTable(String table) {
        if (preparedTables.contains(table)) {
            return closed.get() ? closedFuture() : CompletableFuture.completedFuture(null);
        }
        try {
            TableNames.require(table);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return this.<Void>submit(() -> "prepare store '" + table + "'", (c, now, attempt) -> {
            prepare(c, table, now);
            return null;
        }, null).thenApply(v -> {
            preparedTables.add(table);
            return null;
        });
    }

    private void prepare(Connection c, String store, Instant now) throws SQLException {
        String name = sql.tableName(store);
        Map<String, String> columns = Schema.columns(c, settings.schema(), name);
        if (columns.isEmpty()) {
            if (!settings.createTables()) {
                throw new ConfigurationException("PostgreSQL table " + sql.itemTable(store) + " for store '" + store
                        + "' does not exist (" + settings.describe() + "): set storage.postgres.create_tables = true "
                        + "to let Polystore create it, or create it as docs/postgres.md shows");
            }
            c.setAutoCommit(false);
            boolean done = false;
            try {
                // Serialises concurrent creators (CREATE TABLE IF NOT EXISTS alone can fail in a race).
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                    ps.setLong(1, sql.lockKey("table:" + store));
                    ps.executeQuery().close();
                }
                for (String ddl : sql.createItemTable(store)) {
                    Schema.exec(c, ddl);
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + sql.tablesTable()
                        + " (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")) {
                    ps.setString(1, store);
                    ps.setLong(2, now.getEpochSecond());
                    ps.executeUpdate();
                }
                c.commit();
                done = true;
            } finally {
                if (!done) {
                    rollbackQuietly(c);
                }
                c.setAutoCommit(true);
            }
            return;
        }
        Map<String, String> expected = new TreeMap<>(Map.of("pk", "bytea", "sk", "bytea", "version", "bigint",
                "expires_at", "bigint", "wt", "bytea", "payload", "bytea"));
        if (!columns.equals(expected)) {
            throw new ConfigurationException("PostgreSQL table " + sql.itemTable(store) + " for store '" + store
                    + "' has columns " + columns + "; Polystore needs " + expected
                    + ": choose another storage.postgres.table_prefix or schema (see docs/postgres.md)");
        }
    }

    // ------------------------------------------------------------------ reads

    @Override
    public CompletableFuture<Optional<RawItem>> get(String table, Key key) {
        return submit(() -> "read " + key + " from store '" + table + "'", (c, now, attempt) -> {
            try (PreparedStatement ps = prepare(c, sql.table(table).get)) {
                ps.setBytes(1, SortKeys.utf8(key.pk()));
                ps.setBytes(2, SortKeys.utf8(key.sk()));
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    RawItem item = new RawItem(key, rs.getBytes(3), rs.getLong(1), expiry(rs, 2));
                    return item.expiredAt(now) ? Optional.empty() : Optional.of(item);
                }
            }
        }, null);
    }

    @Override
    public CompletableFuture<RawPage> query(QuerySpec q) {
        return submit(() -> "query partition " + q.pk() + " of store '" + q.table() + "'", (c, now, attempt) -> {
            Sql.Select select = sql.query(q.table(), SortKeys.utf8(q.pk()), q.range(), q.direction(),
                    q.exclusiveStartSk() == null ? null : SortKeys.utf8(q.exclusiveStartSk()), now.getEpochSecond(), q.limit());
            try (PreparedStatement ps = prepare(c, select.sql())) {
                bind(ps, select.parameters());
                List<RawItem> items = new ArrayList<>(Math.min(q.limit(), 128));
                boolean more = false;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (items.size() == q.limit()) {
                            more = true;
                            break;
                        }
                        items.add(new RawItem(new Key(q.pk(), utf8(rs.getBytes(1))), rs.getBytes(4), rs.getLong(2),
                                expiry(rs, 3)));
                    }
                }
                return new RawPage(items, more ? items.get(items.size() - 1).key().sk() : null);
            }
        }, null);
    }

    @Override
    public CompletableFuture<List<RawItem>> batchGet(String table, List<Key> keys) {
        List<Key> copy = List.copyOf(keys);
        return submit(() -> "read a batch of " + copy.size() + " keys from store '" + table + "'", (c, now, attempt) -> {
            try (PreparedStatement ps = prepare(c, sql.table(table).batchGet)) {
                ps.setArray(1, byteaArray(c, copy, true));
                ps.setArray(2, byteaArray(c, copy, false));
                ps.setLong(3, now.getEpochSecond());
                List<RawItem> items = new ArrayList<>(copy.size());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        items.add(new RawItem(new Key(utf8(rs.getBytes(1)), utf8(rs.getBytes(2))), rs.getBytes(5),
                                rs.getLong(3), expiry(rs, 4)));
                    }
                }
                return items;
            }
        }, null);
    }

    // ------------------------------------------------------------------ native access


    /**
     * For {@code Storage.unwrap}: a {@code javax.sql.DataSource} whose connections go to the same
     * database with the same settings, opened by pgjdbc outside the backend's pool (so they never
     * take a connection the backend needs), each the caller's to close, and <b>read-only by
     * default</b>: they are opened with {@code default_transaction_read_only = on}, so
     * {@code EXPLAIN}, {@code pg_stat_*} and ad-hoc reads work and a write fails in PostgreSQL
     * (SQLSTATE 25006) unless the caller turns it off on purpose.
     */
    @Override
    public Map<Class<?>, Object> nativeHandles() {
        return Map.of(javax.sql.DataSource.class, new ReadOnlyDataSource(settings, synchronousCommitSent, closed::get));
    }

    // ------------------------------------------------------------------ single writes

    @Override
    public CompletableFuture<Long> put(WriteOp.Put put) {
        byte[] token = tokens.next();
        TableSqlRef ref = new TableSqlRef(put.table());
        return submit(() -> "write " + put.key() + " to store '" + put.table() + "'", (c, now, attempt) -> {
            Sql.TableSql t = ref.get();
            Condition cond = put.condition();
            PreparedStatement ps;
            if (cond instanceof Condition.None || cond instanceof Condition.IfAbsent) {
                ps = prepare(c, cond instanceof Condition.None ? t.putAny : t.putIfAbsent);
                ps.setBytes(1, SortKeys.utf8(put.key().pk()));
                ps.setBytes(2, SortKeys.utf8(put.key().sk()));
                bindExpiry(ps, 3, put.expiresAt());
                ps.setBytes(4, token);
                ps.setBytes(5, put.payload());
                ps.setLong(6, now.getEpochSecond());
            } else {
                boolean ifVersion = cond instanceof Condition.IfVersion;
                ps = prepare(c, ifVersion ? t.putIfVersion : t.putIfExists);
                bindExpiry(ps, 1, put.expiresAt());
                ps.setBytes(2, token);
                ps.setBytes(3, put.payload());
                ps.setBytes(4, SortKeys.utf8(put.key().pk()));
                ps.setBytes(5, SortKeys.utf8(put.key().sk()));
                int i = 6;
                if (ifVersion) {
                    ps.setLong(i++, ((Condition.IfVersion) cond).version());
                }
                ps.setLong(i, now.getEpochSecond());
            }
            try (ps) {
                attempt.writeSent = true;
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return rs.getLong(1);
                    }
                }
            }
            throw conditionFailed(put, -1, liveState(c, t, put.key(), now));
        }, (failure, attempt, now) -> resolvePut(put, token, failure));
    }

    /** Resolves a put whose answer was lost: this write's token in the row proves it committed. */
    private long resolvePut(WriteOp.Put put, byte[] token, SQLException failure) {
        String what = "write " + put.key() + " to store '" + put.table() + "'";
        try (Connection c = pool.getConnection(); PreparedStatement ps = prepare(c, sql.table(put.table()).readToken)) {
            ps.setBytes(1, SortKeys.utf8(put.key().pk()));
            ps.setBytes(2, SortKeys.utf8(put.key().sk()));
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && Arrays.equals(token, rs.getBytes(2))) {
                    LOG.debug("A write whose answer was lost had committed (found its write token)");
                    return rs.getLong(1);
                }
            }
        } catch (SQLException e) {
            OutcomeUnknownException u = errors.unknown(what, put.key(), failure, "reading the item back failed too ("
                    + e.getMessage() + ")");
            u.addSuppressed(e);
            throw u;
        }
        throw errors.unknown(what, put.key(), failure, "the item read back does not carry this write's token (it was "
                + "not applied, or not yet, or was overwritten since)");
    }

    @Override
    public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
        TableSqlRef ref = new TableSqlRef(delete.table());
        return submit(() -> "delete " + delete.key() + " from store '" + delete.table() + "'", (c, now, attempt) -> {
            Sql.TableSql t = ref.get();
            Condition cond = delete.condition();
            if (cond instanceof Condition.None) {
                try (PreparedStatement ps = prepare(c, t.deleteAny)) {
                    ps.setBytes(1, SortKeys.utf8(delete.key().pk()));
                    ps.setBytes(2, SortKeys.utf8(delete.key().sk()));
                    ps.setLong(3, now.getEpochSecond());
                    attempt.writeSent = true;
                    try (ResultSet rs = ps.executeQuery()) {
                        return rs.next() && rs.getBoolean(1);
                    }
                }
            }
            boolean ifVersion = cond instanceof Condition.IfVersion;
            if (!ifVersion && !(cond instanceof Condition.IfExists)) {
                throw new IllegalArgumentException("a delete's condition is none, if exists or if version, not " + cond);
            }
            try (PreparedStatement ps = prepare(c, ifVersion ? t.deleteIfVersion : t.deleteIfExists)) {
                ps.setBytes(1, SortKeys.utf8(delete.key().pk()));
                ps.setBytes(2, SortKeys.utf8(delete.key().sk()));
                int i = 3;
                if (ifVersion) {
                    ps.setLong(i++, ((Condition.IfVersion) cond).version());
                }
                ps.setLong(i, now.getEpochSecond());
                attempt.writeSent = true;
                if (ps.executeUpdate() == 1) {
                    return true;
                }
            }
            throw conditionFailed(delete, -1, liveState(c, t, delete.key(), now));
        }, (failure, attempt, now) -> {
            throw errors.unknown("delete " + delete.key() + " from store '" + delete.table() + "'", delete.key(), failure,
                    "a delete leaves no token to read back");
        });
    }

    /**
     * What {@code key} holds now ({@code no item}, {@code version N}), read after a conditional write
     * matched no row, for the failure's message only: the write itself was decided by its one
     * statement, so a failure of this read only makes the message vaguer.
     */
    private String liveState(Connection c, Sql.TableSql t, Key key, Instant now) {
        try (PreparedStatement ps = prepare(c, t.get)) {
            ps.setBytes(1, SortKeys.utf8(key.pk()));
            ps.setBytes(2, SortKeys.utf8(key.sk()));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return "no item";
                }
                long version = rs.getLong(1);
                long expires = rs.getLong(2);
                boolean live = version != PLACEHOLDER_VERSION && (rs.wasNull() || expires > now.getEpochSecond());
                return live ? "version " + version : "no item";
            }
        } catch (SQLException e) {
            return "the item absent, expired or at another version";
        }
    }

    /** Worded as the other backends word it: {@code found no item} or {@code found version N}. */
    private static ConditionFailedException conditionFailed(WriteOp op, int index, String state) {
        return new ConditionFailedException("condition " + op.condition() + " failed for " + op.key() + " in store '"
                + op.table() + "': found " + state + (index >= 0 ? " (transaction operation " + index + ")" : ""),
                op.key(), index, null);
    }

    // ------------------------------------------------------------------ batches

    @Override
    public CompletableFuture<Void> batchWrite(String table, List<WriteOp> writes) {
        List<WriteOp> ops = List.copyOf(writes);
        for (WriteOp op : ops) {
            if (op instanceof WriteOp.Check) {
                return CompletableFuture.failedFuture(new IllegalArgumentException("a batch holds puts and deletes only"));
            }
        }
        return submit(() -> "write a batch of " + ops.size() + " items to store '" + table + "'",
                (c, now, attempt) -> writeBatch(c, table, ops, now), null);
    }

    /** Sorted by key bytes: every multi-row statement locks rows in one global order (no deadlocks). */
    private static final Comparator<WriteOp> KEY_ORDER = (a, b) -> {
        int p = SortKeys.compare(a.key().pk(), b.key().pk());
        return p != 0 ? p : SortKeys.compare(a.key().sk(), b.key().sk());
    };

    private Void writeBatch(Connection c, String table, List<WriteOp> ops, Instant now) {
        Sql.TableSql t = sql.table(table);
        List<WriteOp.Put> puts = new ArrayList<>();
        List<WriteOp> deletes = new ArrayList<>();
        for (WriteOp op : ops) {
            if (op instanceof WriteOp.Put p) {
                puts.add(p);
            } else {
                deletes.add(op);
            }
        }
        puts.sort(KEY_ORDER);
        deletes.sort(KEY_ORDER);
        List<Key> unprocessed = new ArrayList<>();
        List<StoreException> causes = new ArrayList<>();
        // Puts in statements of at most MAX_STATEMENT_BYTES of payload.
        int from = 0;
        while (from < puts.size()) {
            int to = from;
            long bytes = 0;
            while (to < puts.size() && (to == from || bytes + puts.get(to).payload().length <= MAX_STATEMENT_BYTES)) {
                bytes += puts.get(to).payload().length;
                to++;
            }
            List<WriteOp.Put> part = puts.subList(from, to);
            byte[] token = tokens.next();
            try {
                putChunk(c, t, part, token, now);
            } catch (SQLException e) {
                batchFailure(table, part, token, e, unprocessed, causes);
            }
            from = to;
        }
        for (int i = 0; i < deletes.size(); i += MAX_BATCH_WRITE) {
            List<WriteOp> part = deletes.subList(i, Math.min(deletes.size(), i + MAX_BATCH_WRITE));
            try (PreparedStatement ps = prepare(c, t.batchDelete)) {
                ps.setArray(1, byteaArray(c, keysOf(part), true));
                ps.setArray(2, byteaArray(c, keysOf(part), false));
                ps.executeUpdate();
            } catch (SQLException e) {
                StoreException cause = PgErrors.connectionLost(e) && !PgErrors.noConnection(e)
                        ? errors.unknown("delete a batch of " + part.size() + " items from store '" + table + "'", null, e,
                        "deletes leave no token to read back")
                        : errors.map("delete a batch of " + part.size() + " items from store '" + table + "'", e);
                causes.add(cause);
                part.forEach(op -> unprocessed.add(op.key()));
            }
        }
        if (!unprocessed.isEmpty()) {
            boolean retryable = causes.stream().allMatch(e -> e.retryable() || e instanceof OutcomeUnknownException);
            BatchWriteException e = new BatchWriteException(unprocessed.size() + " of " + ops.size()
                    + " batch writes to store '" + table + "' were not applied or not known to be applied (listed in "
                    + "unprocessed(); each is a plain put or delete, safe to send again); the others were. First cause: "
                    + causes.get(0).getMessage(), unprocessed, retryable, causes.get(0));
            causes.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
        return null;
    }

    /**
     * Writes one chunk of puts (keys sorted), all or none. A chunk of at least
     * {@link #COPY_MIN_ITEMS} puts whose keys have no row yet is written with {@link #copyNew};
     * any other chunk (or one that {@code COPY} could not write) with one upsert statement.
     */
    private void putChunk(Connection c, Sql.TableSql t, List<WriteOp.Put> part, byte[] token, Instant now)
            throws SQLException {
        if (settings.batchCopy() && part.size() >= COPY_MIN_ITEMS
                && t.probeSkips.getAndUpdate(n -> n > 0 ? n - 1 : 0) == 0 && copyNew(c, t, part, token)) {
            return;
        }
        try (PreparedStatement ps = prepare(c, t.batchPut)) {
            ps.setBytes(1, token);
            ps.setArray(2, byteaArray(c, keysOf(part), true));
            ps.setArray(3, byteaArray(c, keysOf(part), false));
            Long[] expiries = new Long[part.size()];
            byte[][] payloads = new byte[part.size()][];
            for (int i = 0; i < part.size(); i++) {
                Instant e = part.get(i).expiresAt();
                expiries[i] = e == null ? null : e.getEpochSecond();
                payloads[i] = part.get(i).payload();
            }
            ps.setArray(4, c.createArrayOf("int8", expiries));
            ps.setArray(5, c.createArrayOf("bytea", payloads));
            ps.setLong(6, now.getEpochSecond());
            int n = ps.executeUpdate();
            if (n != part.size()) {
                throw new SQLException("a batch put of " + part.size() + " items wrote " + n + " rows");
            }
        }
    }

    /**
     * Writes a chunk of puts none of whose keys has a row (live, expired or a placeholder) with
     * {@code COPY … FROM STDIN (FORMAT binary)}: every row at version 1, with its expiry and the
     * chunk's write token, exactly what the upsert writes for an absent key. One transaction:
     * {@code BEGIN} with a probe of the keys (which also sets {@code statement_timeout} for the
     * transaction only, since pgjdbc's client-side timeout does not cover {@code COPY}), the
     * {@code COPY}, {@code COMMIT}. Returns false, having written nothing, if the probe found a
     * row, or if a concurrent writer inserted one of the keys meanwhile (the {@code COPY} fails
     * on the primary key); the caller then upserts the chunk. The {@code COPY} inserts in key
     * order, as every multi-row statement locks, so it cannot deadlock with them.
     */
    private boolean copyNew(Connection c, Sql.TableSql t, List<WriteOp.Put> part, byte[] token) throws SQLException {
        c.setAutoCommit(false);
        boolean committed = false;
        try {
            List<Key> keys = keysOf(part);
            try (PreparedStatement ps = prepare(c, t.probeKeys)) {
                ps.setString(1, String.valueOf(settings.statementTimeout().toMillis()));
                ps.setArray(2, byteaArray(c, keys, true));
                ps.setArray(3, byteaArray(c, keys, false));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(2)) {
                        t.probeSkips.set(COPY_SKIPS_AFTER_HIT);
                        return false;
                    }
                }
            }
            CopyIn in = c.unwrap(PGConnection.class).getCopyAPI().copyIn(t.copyRows);
            long rows;
            try {
                BinaryCopy rowsOut = new BinaryCopy(in);
                for (WriteOp.Put p : part) {
                    Instant e = p.expiresAt();
                    rowsOut.row(SortKeys.utf8(p.key().pk()), SortKeys.utf8(p.key().sk()), 1,
                            e == null ? null : e.getEpochSecond(), token, p.payload());
                }
                rows = rowsOut.finish();
            } finally {
                if (in.isActive()) {
                    cancelQuietly(in);
                }
            }
            if (rows != part.size()) {
                throw new SQLException("a COPY of " + part.size() + " items wrote " + rows + " rows");
            }
            c.commit();
            committed = true;
            batchCopies.incrementAndGet();
            return true;
        } catch (SQLException e) {
            if (PgErrors.state(e).equals("23505")) {
                t.probeSkips.set(COPY_SKIPS_AFTER_HIT);
                return false;
            }
            throw e;
        } finally {
            if (!committed) {
                rollbackQuietly(c);
            }
            try {
                c.setAutoCommit(true);
            } catch (SQLException e) {
                LOG.debug("Could not restore autocommit after a batch COPY: {}", e.getMessage());
            }
        }
    }

    private static void cancelQuietly(CopyIn in) {
        try {
            in.cancelCopy();
        } catch (SQLException e) {
            LOG.debug("Could not cancel a batch COPY: {}", e.getMessage());
        }
    }

    /**
     * A batch put statement failed. If the connection was lost after it was sent, the rows that
     * carry its token were written; the rest are reported (as "not known to be applied").
     */
    private void batchFailure(String table, List<WriteOp.Put> part, byte[] token, SQLException e, List<Key> unprocessed,
                              List<StoreException> causes) {
        String what = "write a batch of " + part.size() + " items to store '" + table + "'";
        if (!PgErrors.connectionLost(e) || PgErrors.noConnection(e)) {
            causes.add(errors.map(what, e));
            part.forEach(p -> unprocessed.add(p.key()));
            return;
        }
        Set<Key> written = new java.util.HashSet<>();
        try (Connection fresh = pool.getConnection(); PreparedStatement ps = prepare(fresh, sql.table(table).readTokens)) {
            ps.setArray(1, byteaArray(fresh, keysOf(part), true));
            ps.setArray(2, byteaArray(fresh, keysOf(part), false));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (Arrays.equals(token, rs.getBytes(3))) {
                        written.add(new Key(utf8(rs.getBytes(1)), utf8(rs.getBytes(2))));
                    }
                }
            }
        } catch (SQLException check) {
            e.addSuppressed(check);
        }
        if (written.size() == part.size()) {
            return;
        }
        causes.add(errors.unknown(what, null, e, written.size() + " of its items were read back with its token"));
        part.stream().map(WriteOp::key).filter(k -> !written.contains(k)).forEach(unprocessed::add);
    }

    // ------------------------------------------------------------------ transactions

    @Override
    public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
        List<WriteOp> ops = List.copyOf(operations);
        if (ops.isEmpty()) {
            return closed.get() ? closedFuture() : CompletableFuture.completedFuture(List.of());
        }
        byte[] token = tokens.next();
        Key single = ops.size() == 1 ? ops.get(0).key() : null;
        Supplier<String> what = () -> "commit a transaction of " + ops.size() + " operations";
        return submit(what, (c, now, attempt) -> runTransaction(c, ops, List.of(), token, now, attempt),
                (failure, attempt, now) -> resolveCommit(what.get(), single, attempt, failure));
    }

    // Native secondary-index entries (PostgresIndexes): written in runTransaction before its COMMIT.
    private final IndexAccelerator indexAccelerator = new IndexAccelerator() {
        @Override
        public CompletableFuture<String> prepareEntries(String table) {
            return prepareTable(table).thenCompose(v -> submit(() -> "prepare the index entries of store '" + table + "'",
                    (c, now, attempt) -> PostgresIndexes.prepare(c, sql, table, settings.createTables(),
                            settings.describe()), null));
        }

        @Override
        public CompletableFuture<List<Long>> transact(List<WriteOp> operations, List<EntryWrite> entries) {
            List<WriteOp> ops = List.copyOf(operations);
            List<EntryWrite> writes = List.copyOf(entries);
            byte[] token = tokens.next();
            Key single = ops.size() == 1 ? ops.get(0).key() : null;
            Supplier<String> what = () -> "commit a transaction of " + ops.size() + " operations and " + writes.size()
                    + " index entries";
            return submit(what, (c, now, attempt) -> runTransaction(c, ops, writes, token, now, attempt),
                    (failure, attempt, now) -> resolveCommit(what.get(), single, attempt, failure));
        }

        @Override
        public CompletableFuture<RawPage> query(QuerySpec q) {
            return submit(() -> "query index entries " + q.pk() + " of store '" + q.table() + "'", (c, now, attempt) -> {
                PostgresIndexes.Select select = PostgresIndexes.query(sql, q.table(), SortKeys.utf8(q.pk()), q.range(),
                        q.direction(), q.exclusiveStartSk() == null ? null : SortKeys.utf8(q.exclusiveStartSk()),
                        now.getEpochSecond(), q.limit());
                try (PreparedStatement ps = prepare(c, select.sql())) {
                    bind(ps, select.parameters());
                    List<RawItem> items = new ArrayList<>(Math.min(q.limit(), 128));
                    String last = null;
                    boolean more = false;
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            if (items.size() == q.limit()) {
                                more = true;
                                break;
                            }
                            last = utf8(rs.getBytes(1));
                            items.add(new RawItem(new Key(utf8(rs.getBytes(2)), utf8(rs.getBytes(3))), rs.getBytes(6),
                                    rs.getLong(4), expiry(rs, 5)));
                        }
                    }
                    return new RawPage(items, more ? last : null);
                }
            }, null);
        }
    };

    @Override
    public Optional<IndexAccelerator> indexAccelerator() {
        return Optional.of(indexAccelerator);
    }

    private List<Long> runTransaction(Connection c, List<WriteOp> ops, List<IndexAccelerator.EntryWrite> entries,
                                      byte[] token, Instant now, Attempt attempt) throws SQLException {
        // Operation indices by table (tables in name order), each table's in key order.
        Map<String, List<Integer>> byTable = new TreeMap<>();
        for (int i = 0; i < ops.size(); i++) {
            byTable.computeIfAbsent(ops.get(i).table(), k -> new ArrayList<>()).add(i);
        }
        for (List<Integer> indices : byTable.values()) {
            indices.sort((a, b) -> KEY_ORDER.compare(ops.get(a), ops.get(b)));
        }
        long nowSeconds = now.getEpochSecond();
        c.setAutoCommit(false);
        boolean finished = false;
        try {
            Long[] current = new Long[ops.size()];
            for (Map.Entry<String, List<Integer>> e : byTable.entrySet()) {
                Sql.TableSql t = sql.table(e.getKey());
                List<Key> keys = e.getValue().stream().map(i -> ops.get(i).key()).toList();
                try (PreparedStatement ps = prepare(c, t.lockKeys)) {
                    ps.setArray(1, byteaArray(c, keys, true));
                    ps.setArray(2, byteaArray(c, keys, false));
                    ps.executeUpdate();
                }
                Map<Key, Integer> index = new HashMap<>();
                for (int i : e.getValue()) {
                    index.put(ops.get(i).key(), i);
                }
                try (PreparedStatement ps = prepare(c, t.readLocked)) {
                    ps.setArray(1, byteaArray(c, keys, true));
                    ps.setArray(2, byteaArray(c, keys, false));
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            Key k = new Key(utf8(rs.getBytes(1)), utf8(rs.getBytes(2)));
                            long version = rs.getLong(3);
                            long expires = rs.getLong(4);
                            boolean live = version != PLACEHOLDER_VERSION && (rs.wasNull() || expires > nowSeconds);
                            attempt.txid = rs.getLong(5);
                            Integer i = index.get(k);
                            if (i != null && live) {
                                current[i] = version;
                            }
                        }
                    }
                }
            }
            for (int i = 0; i < ops.size(); i++) {
                if (!holds(ops.get(i).condition(), current[i])) {
                    throw conditionFailed(ops.get(i), i, current[i] == null ? "no item" : "version " + current[i]);
                }
            }
            List<Long> versions = new ArrayList<>(ops.size());
            for (int i = 0; i < ops.size(); i++) {
                versions.add(ops.get(i) instanceof WriteOp.Put ? (current[i] == null ? 1 : current[i] + 1) : 0L);
            }
            for (Map.Entry<String, List<Integer>> e : byTable.entrySet()) {
                Sql.TableSql t = sql.table(e.getKey());
                List<Integer> puts = new ArrayList<>();
                List<Key> removed = new ArrayList<>();
                for (int i : e.getValue()) {
                    WriteOp op = ops.get(i);
                    if (op instanceof WriteOp.Put) {
                        puts.add(i);
                    } else if (op instanceof WriteOp.Delete || current[i] == null) {
                        // Deleted, or a check of an absent key: its placeholder (or expired row) goes.
                        removed.add(op.key());
                    }
                }
                if (!puts.isEmpty()) {
                    List<Key> keys = puts.stream().map(i -> ops.get(i).key()).toList();
                    Long[] vs = new Long[puts.size()];
                    Long[] expiries = new Long[puts.size()];
                    byte[][] payloads = new byte[puts.size()][];
                    for (int j = 0; j < puts.size(); j++) {
                        WriteOp.Put p = (WriteOp.Put) ops.get(puts.get(j));
                        vs[j] = versions.get(puts.get(j));
                        expiries[j] = p.expiresAt() == null ? null : p.expiresAt().getEpochSecond();
                        payloads[j] = p.payload();
                    }
                    try (PreparedStatement ps = prepare(c, t.updateLocked)) {
                        ps.setBytes(1, token);
                        ps.setArray(2, byteaArray(c, keys, true));
                        ps.setArray(3, byteaArray(c, keys, false));
                        ps.setArray(4, c.createArrayOf("int8", vs));
                        ps.setArray(5, c.createArrayOf("int8", expiries));
                        ps.setArray(6, c.createArrayOf("bytea", payloads));
                        int n = ps.executeUpdate();
                        if (n != puts.size()) {
                            throw new SQLException("a transaction updated " + n + " of its " + puts.size() + " locked rows");
                        }
                    }
                }
                if (!removed.isEmpty()) {
                    try (PreparedStatement ps = prepare(c, t.batchDelete)) {
                        ps.setArray(1, byteaArray(c, removed, true));
                        ps.setArray(2, byteaArray(c, removed, false));
                        ps.executeUpdate();
                    }
                }
            }
            if (!entries.isEmpty()) {
                PostgresIndexes.apply(c, sql, ops.size(), entries, nowSeconds);
            }
            attempt.versions = versions;
            attempt.writeSent = true;
            c.commit();
            finished = true;
            return versions;
        } finally {
            if (!finished && !(attempt.writeSent)) {
                rollbackQuietly(c);
            }
            try {
                c.setAutoCommit(true);
            } catch (SQLException e) {
                LOG.debug("Could not restore autocommit after a transaction: {}", e.getMessage());
            }
        }
    }

    /**
     * A COMMIT whose answer was lost: asks the server, on another connection, what became of the
     * transaction ({@code txid_status}), waiting while it is still in progress (the server has
     * not yet noticed the broken connection) up to the socket timeout.
     */
    private List<Long> resolveCommit(String what, Key key, Attempt attempt, SQLException failure) {
        if (attempt.txid < 0 || attempt.versions == null) {
            throw errors.unknown(what, key, failure, "its transaction id was not known");
        }
        long deadline = System.nanoTime() + settings.socketTimeout().toNanos();
        SQLException last = null;
        while (true) {
            try (Connection c = pool.getConnection(); PreparedStatement ps = prepare(c, "SELECT txid_status(?)")) {
                ps.setLong(1, attempt.txid);
                try (ResultSet rs = ps.executeQuery()) {
                    String status = rs.next() ? rs.getString(1) : null;
                    if ("committed".equals(status)) {
                        LOG.debug("A transaction whose COMMIT answer was lost had committed");
                        return attempt.versions;
                    }
                    if ("aborted".equals(status)) {
                        throw new UnavailableException("PostgreSQL lost the connection while committing (" + what + ", "
                                + settings.describe() + "); the server reports the transaction aborted: nothing was "
                                + "written; retry", failure);
                    }
                    if (status == null) {
                        throw errors.unknown(what, key, failure, "the server no longer knows its transaction id");
                    }
                }
            } catch (SQLException e) {
                last = e;
            }
            if (System.nanoTime() - deadline >= 0) {
                OutcomeUnknownException u = errors.unknown(what, key, failure, "the server still reported the transaction "
                        + "in progress, or could not be asked, after storage.postgres.socket_timeout_ms");
                if (last != null) {
                    u.addSuppressed(last);
                }
                throw u;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw errors.unknown(what, key, failure, "interrupted while asking the server");
            }
        }
    }

    private static boolean holds(Condition c, Long current) {
        if (c instanceof Condition.None) {
            return true;
        } else if (c instanceof Condition.IfAbsent) {
            return current == null;
        } else if (c instanceof Condition.IfExists) {
            return current != null;
        } else if (c instanceof Condition.IfVersion v) {
            return current != null && current == v.version();
        }
        throw new IllegalArgumentException("unknown condition " + c);
    }

    // ------------------------------------------------------------------ expiry

    /** Deletes expired rows of every prepared store now. @return how many */
    CompletableFuture<Long> purgeExpired() {
        return submit(() -> "purge expired items", (c, now, attempt) -> purge(c, now, Integer.MAX_VALUE), null);
    }

    private long purge(Connection c, Instant now, int rounds) throws SQLException {
        long deleted = 0;
        for (String store : preparedTables) {
            for (int round = 0; round < rounds; round++) {
                int n;
                try (PreparedStatement ps = prepare(c, sql.table(store).purge)) {
                    ps.setLong(1, now.getEpochSecond());
                    ps.setInt(2, PURGE_BATCH);
                    n = ps.executeUpdate();
                }
                deleted += n;
                if (n < PURGE_BATCH) {
                    break;
                }
            }
        }
        purged.addAndGet(deleted);
        return deleted;
    }

    private void purgeInBackground() {
        if (closed.get()) {
            return;
        }
        try (Connection c = pool.getConnection()) {
            long n = purge(c, clock.instant(), 10);
            if (n > 0) {
                LOG.debug("Purged {} expired items", n);
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debug("Purging expired items failed; trying again in the next interval: {}", e.getMessage());
        }
    }

    // ------------------------------------------------------------------ health

    @Override
    public CompletableFuture<Health> health() {
        long start = System.nanoTime();
        if (closed.get()) {
            return CompletableFuture.completedFuture(new Health(false, name(), Duration.ZERO,
                    Map.of("error", "the postgres backend is closed")));
        }
        return this.<Health>submit(() -> "check health", (c, now, attempt) -> {
            Map<String, String> d = new LinkedHashMap<>();
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_setting('server_version'), "
                    + "current_setting('synchronous_commit'), current_setting('fsync'), current_setting('full_page_writes'), "
                    + "current_setting('wal_level'), current_setting('synchronous_standby_names'), current_database(), "
                    + "current_setting('server_encoding')")) {
                rs.next();
                d.put("server_version", rs.getString(1));
                d.put("synchronous_commit", rs.getString(2));
                d.put("fsync", rs.getString(3));
                d.put("full_page_writes", rs.getString(4));
                d.put("wal_level", rs.getString(5));
                d.put("synchronous_standby_names", rs.getString(6));
                d.put("database", rs.getString(7));
                d.put("server_encoding", rs.getString(8));
            }
            d.put("synchronous_commit_configured", settings.synchronousCommit());
            d.put("synchronous_commit_sent", String.valueOf(synchronousCommitSent));
            boolean durable = settings.synchronousCommit().equals("server")
                    || settings.synchronousCommit().equals(d.get("synchronous_commit"));
            d.put("durability", durable ? "as configured" : "WEAKER than configured");
            d.put("schema", settings.schema());
            d.put("table_prefix", settings.tablePrefix());
            d.put("url", PostgresSettings.maskUrl(settings.url()));
            putPoolState(d);
            return new Health(durable, name(), Duration.ofNanos(System.nanoTime() - start), d);
        }, null).exceptionally(e -> {
            Map<String, String> d = new LinkedHashMap<>();
            d.put("error", String.valueOf(e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                    ? e.getCause().getMessage() : e.getMessage()));
            d.put("url", PostgresSettings.maskUrl(settings.url()));
            putPoolState(d);
            return new Health(false, name(), Duration.ofNanos(System.nanoTime() - start), d);
        });
    }

    private void putPoolState(Map<String, String> d) {
        HikariPoolMXBean mx = pool.getHikariPoolMXBean();
        if (mx != null) {
            d.put("pool_active", String.valueOf(mx.getActiveConnections()));
            d.put("pool_idle", String.valueOf(mx.getIdleConnections()));
            d.put("pool_total", String.valueOf(mx.getTotalConnections()));
            d.put("pool_waiting", String.valueOf(mx.getThreadsAwaitingConnection()));
        }
        d.put("pool_size", String.valueOf(settings.poolSize()));
        d.put("queued", String.valueOf(workers.getQueue().size()));
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * Stops taking new calls, lets queued and running operations finish for up to
     * {@code close_timeout_ms}, fails those still queued then with {@link UnavailableException}
     * (nothing of theirs was sent), and closes the pool. Never interrupts a running statement.
     * Idempotent; never throws.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        purger.shutdownNow();
        workers.shutdown();
        boolean interrupted = false;
        try {
            if (!workers.awaitTermination(settings.closeTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("PostgreSQL operations still running {} ms after close began; failing those not started",
                        settings.closeTimeout().toMillis());
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        // Operations running on callers' threads: wait for their connection slots within the same grace period.
        try {
            if (slots.tryAcquire(settings.poolSize(), settings.closeTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                slots.release(settings.poolSize());
            } else {
                LOG.warn("PostgreSQL operations on callers' threads still running at close; their connections are closed");
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        List<Runnable> left = new ArrayList<>();
        workers.getQueue().drainTo(left);
        for (Runnable r : left) {
            if (r instanceof Task task) {
                task.future.completeExceptionally(new UnavailableException("the postgres backend closed before it could "
                        + task.what.get() + "; nothing was sent", null));
            }
        }
        pool.close();
        watchdog.shutdownNow();
        completions.shutdown();
        if (CALLBACK_OWNER.get() != this) {
            try {
                if (!completions.awaitTermination(30, TimeUnit.SECONDS)) {
                    LOG.warn("PostgreSQL callbacks still running 30 s after close");
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ scan and import

    /** The tag of this backend's scan positions. */
    private static final String SCAN_TAG = "postgres";
    /** Keys sampled per segment to place the boundaries, and at most in all. */
    private static final int SAMPLES_PER_SEGMENT = 16;
    private static final int MAX_SAMPLES = 20_000;
    /** Rows a scan fetches from the server at a time: bounds the driver's buffer with 400 KB items. */
    private static final int SCAN_FETCH_ROWS = 16;

    @Override
    public CompletableFuture<List<String>> listTables() {
        return submit(() -> "list the stores", (c, now, attempt) -> {
            List<String> names = new ArrayList<>();
            try (PreparedStatement ps = prepare(c, Sql.LIST_TABLES)) {
                ps.setInt(1, settings.tablePrefix().length() + 1);
                ps.setString(2, settings.schema());
                ps.setString(3, settings.tablePrefix());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String name = rs.getString(1);
                        if (TableNames.isValid(name)) {
                            names.add(name);
                        }
                    }
                }
            }
            names.sort(null);
            return names;
        }, null);
    }

    /**
     * Splits the table into key ranges without reading it: the catalogue gives its size, a
     * {@code TABLESAMPLE SYSTEM} of about {@value #SAMPLES_PER_SEGMENT} whole pages per segment
     * (all of a small table's) gives keys, streamed through a cursor into a reservoir of that many,
     * and their quantiles are the boundaries ({@link KeySegment}). Only the sampled pages are
     * read; a sample that misses only makes the segments uneven, never wrong.
     */
    @Override
    public CompletableFuture<ScanPlan> scanSegments(String table, int segments) {
        return submit(() -> "plan a scan of store '" + table + "'", (c, now, attempt) -> {
            long tuples;
            long pages;
            try (PreparedStatement ps = prepare(c, Sql.TABLE_SIZE)) {
                ps.setString(1, sql.itemTable(table));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    tuples = rs.getLong(1);
                    pages = rs.getLong(2);
                }
            }
            List<Key> samples = new ArrayList<>();
            if (segments > 1 && pages > 0) {
                int wanted = Math.min(segments * SAMPLES_PER_SEGMENT, MAX_SAMPLES);
                // About `wanted` pages (keys on one page are neighbours: one page is one sample's worth of
                // spread) and at least 2 x `wanted` rows; rows per page from the statistics if any.
                double rows = tuples > 0 ? tuples : pages * 8.0;
                double percent = Math.min(100.0, Math.max(0.000_1, 100.0 * Math.max(2.0 * wanted / rows,
                        (double) wanted / pages)));
                java.util.Random random = new java.util.Random(pages * 31 + tuples);
                long seen = 0;
                c.setAutoCommit(false);
                try (PreparedStatement ps = prepare(c, sql.sampleKeys(table))) {
                    ps.setDouble(1, percent);
                    ps.setFetchSize(1000);
                    try (ResultSet rs = ps.executeQuery()) {
                        // A reservoir sample of the sampled pages' keys, read as they stream.
                        while (rs.next() && seen < 64L * wanted) {
                            seen++;
                            Key k = new Key(utf8(rs.getBytes(1)), utf8(rs.getBytes(2)));
                            if (samples.size() < wanted) {
                                samples.add(k);
                            } else {
                                long j = (long) (random.nextDouble() * seen);
                                if (j < wanted) {
                                    samples.set((int) j, k);
                                }
                            }
                        }
                    }
                } finally {
                    endTransactionQuietly(c);
                }
            }
            List<String> positions = new ArrayList<>(segments);
            for (KeySegment s : KeySegment.split(SCAN_TAG, KeySegment.quantiles(samples, segments), segments)) {
                positions.add(s.encode());
            }
            return new ScanPlan(positions, pages == 0 ? 0 : tuples > 0 ? tuples : -1);
        }, null);
    }

    /**
     * One page of a key-range segment: one statement in key order on the primary key's index, read
     * {@value #SCAN_FETCH_ROWS} rows at a time through a cursor (a read-only transaction), so a page
     * of 400 KB items never sits in the driver's memory at once. Expired rows are passed over (their
     * payload is not sent); transaction placeholders are passed over without being counted.
     */
    @Override
    public CompletableFuture<ScanPage> scan(String table, String position, int limit) {
        KeySegment segment;
        try {
            segment = KeySegment.decode(position, SCAN_TAG);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (segment.empty()) {
            return closed.get() ? closedFuture() : CompletableFuture.completedFuture(new ScanPage(List.of(), null, 0));
        }
        return submit(() -> "scan store '" + table + "'", (c, now, attempt) -> {
            Key start = segment.after() != null ? segment.after() : segment.from();
            boolean inclusive = segment.after() == null;
            c.setAutoCommit(false);
            try (PreparedStatement ps = prepare(c, sql.scanPage(table, start != null, inclusive, segment.to() != null))) {
                long nowSeconds = now.getEpochSecond();
                int i = 1;
                ps.setLong(i++, nowSeconds);
                if (start != null) {
                    ps.setBytes(i++, SortKeys.utf8(start.pk()));
                    ps.setBytes(i++, SortKeys.utf8(start.sk()));
                }
                if (segment.to() != null) {
                    ps.setBytes(i++, SortKeys.utf8(segment.to().pk()));
                    ps.setBytes(i++, SortKeys.utf8(segment.to().sk()));
                }
                ps.setLong(i, (long) limit + 1);
                ps.setFetchSize(SCAN_FETCH_ROWS);
                List<RawItem> items = new ArrayList<>(Math.min(limit, 256));
                int rows = 0;
                int expired = 0;
                long bytes = 0;
                Key last = null;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (rows == limit || bytes >= ScanPage.MAX_BYTES) {
                            return new ScanPage(items, segment.resumeAfter(last).encode(), expired);
                        }
                        Key key = new Key(utf8(rs.getBytes(1)), utf8(rs.getBytes(2)));
                        long version = rs.getLong(3);
                        Instant expires = expiry(rs, 4);
                        byte[] payload = rs.getBytes(5);
                        if (payload == null) {
                            rows++;
                            last = key;
                            if (version != PLACEHOLDER_VERSION) {
                                expired++;
                            }
                            continue;
                        }
                        if (!items.isEmpty() && bytes + payload.length > ScanPage.MAX_BYTES) {
                            // Too large for this page: the next one starts with it.
                            return new ScanPage(items, segment.resumeAfter(last).encode(), expired);
                        }
                        rows++;
                        last = key;
                        items.add(new RawItem(key, payload, version, expires));
                        bytes += payload.length;
                    }
                }
                return new ScanPage(items, null, expired);
            } finally {
                endTransactionQuietly(c);
            }
        }, null);
    }

    /**
     * Imports in statements of at most {@value #MAX_BATCH_WRITE} items and
     * {@link #MAX_STATEMENT_BYTES} of payload, keys in byte order (no deadlocks with batches and
     * transactions), each in a transaction of its own: one {@code INSERT … SELECT … FROM unnest(…)
     * ON CONFLICT … DO UPDATE} that writes each item's own version and expiry, with
     * {@link ImportMode#IF_NEWER} only {@code WHERE} the row there is older or expired (decided by
     * the row lock the statement takes), then a read of the kept rows' versions under the same
     * locks, then {@code COMMIT}. A statement that fails is the outcome of its items only.
     */
    @Override
    public CompletableFuture<List<ImportOutcome>> importItems(String table, List<RawItem> items, ImportMode mode) {
        List<RawItem> copy = List.copyOf(items);
        TableSqlRef ref = new TableSqlRef(table);
        return submit(() -> "import " + copy.size() + " items into store '" + table + "'", (c, now, attempt) -> {
            Sql.TableSql t = ref.get();
            ImportOutcome[] outcomes = new ImportOutcome[copy.size()];
            List<Integer> order = new ArrayList<>(copy.size());
            for (int i = 0; i < copy.size(); i++) {
                if (copy.get(i).expiredAt(now)) {
                    outcomes[i] = ImportOutcome.expired();
                } else {
                    order.add(i);
                }
            }
            order.sort((a, b) -> KeySegment.compare(copy.get(a).key(), copy.get(b).key()));
            int from = 0;
            while (from < order.size()) {
                int to = from;
                long bytes = 0;
                while (to < order.size() && to - from < MAX_BATCH_WRITE
                        && (to == from || bytes + copy.get(order.get(to)).payload().length <= MAX_STATEMENT_BYTES)) {
                    bytes += copy.get(order.get(to)).payload().length;
                    to++;
                }
                List<Integer> part = order.subList(from, to);
                importPart(c, t, table, copy, part, mode, now, outcomes);
                from = to;
            }
            return List.of(outcomes);
        }, null);
    }

    private void importPart(Connection c, Sql.TableSql t, String table, List<RawItem> items, List<Integer> part,
                            ImportMode mode, Instant now, ImportOutcome[] outcomes) {
        int n = part.size();
        byte[][] pks = new byte[n][];
        byte[][] sks = new byte[n][];
        Long[] versions = new Long[n];
        Long[] expiries = new Long[n];
        byte[][] payloads = new byte[n][];
        for (int i = 0; i < n; i++) {
            RawItem item = items.get(part.get(i));
            pks[i] = SortKeys.utf8(item.key().pk());
            sks[i] = SortKeys.utf8(item.key().sk());
            versions[i] = item.version();
            expiries[i] = item.expiresAt() == null ? null : item.expiresAt().getEpochSecond();
            payloads[i] = item.payload();
        }
        boolean sent = false;
        try {
            c.setAutoCommit(false);
            try {
                Set<Key> written = new java.util.HashSet<>();
                try (PreparedStatement ps = prepare(c, mode == ImportMode.IF_NEWER ? t.importIfNewer : t.importOverwrite)) {
                    ps.setBytes(1, tokens.next());
                    ps.setArray(2, c.createArrayOf("bytea", pks));
                    ps.setArray(3, c.createArrayOf("bytea", sks));
                    ps.setArray(4, c.createArrayOf("int8", versions));
                    ps.setArray(5, c.createArrayOf("int8", expiries));
                    ps.setArray(6, c.createArrayOf("bytea", payloads));
                    if (mode == ImportMode.IF_NEWER) {
                        ps.setLong(7, now.getEpochSecond());
                        sent = true;
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                written.add(new Key(utf8(rs.getBytes(1)), utf8(rs.getBytes(2))));
                            }
                        }
                    } else {
                        sent = true;
                        int count = ps.executeUpdate();
                        if (count != n) {
                            throw new SQLException("an import of " + n + " items wrote " + count + " rows");
                        }
                        part.forEach(i -> written.add(items.get(i).key()));
                    }
                }
                Map<Key, Long> kept = new HashMap<>();
                if (written.size() < n) {
                    List<Key> rest = new ArrayList<>();
                    part.forEach(i -> {
                        if (!written.contains(items.get(i).key())) {
                            rest.add(items.get(i).key());
                        }
                    });
                    try (PreparedStatement ps = prepare(c, t.readVersions)) {
                        ps.setArray(1, byteaArray(c, rest, true));
                        ps.setArray(2, byteaArray(c, rest, false));
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                kept.put(new Key(utf8(rs.getBytes(1)), utf8(rs.getBytes(2))), rs.getLong(3));
                            }
                        }
                    }
                }
                c.commit();
                for (int i : part) {
                    RawItem item = items.get(i);
                    Long v = kept.get(item.key());
                    outcomes[i] = written.contains(item.key()) ? ImportOutcome.written()
                            : ImportOutcome.kept(v == null || v < 1 ? item.version() : v);
                }
            } finally {
                endTransactionQuietly(c);
            }
        } catch (SQLException e) {
            String what = "import " + n + " items into store '" + table + "'";
            StoreException failure = sent && PgErrors.connectionLost(e) && !PgErrors.noConnection(e)
                    ? errors.unknown(what, null, e, "the connection was lost before the commit was confirmed; an import "
                    + "is idempotent: import the items again")
                    : errors.map(what, e);
            for (int i : part) {
                outcomes[i] = ImportOutcome.failed(failure);
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Resolves a table's statements lazily on the worker (never on the caller). */
    private final class TableSqlRef {
        private final String table;

        TableSqlRef(String table) {
            this.table = table;
        }

        Sql.TableSql get() {
            return sql.table(table);
        }
    }

    private static List<Key> keysOf(List<? extends WriteOp> ops) {
        List<Key> keys = new ArrayList<>(ops.size());
        for (WriteOp op : ops) {
            keys.add(op.key());
        }
        return keys;
    }

    private static Array byteaArray(Connection c, List<Key> keys, boolean pk) throws SQLException {
        byte[][] values = new byte[keys.size()][];
        for (int i = 0; i < keys.size(); i++) {
            values[i] = SortKeys.utf8(pk ? keys.get(i).pk() : keys.get(i).sk());
        }
        return c.createArrayOf("bytea", values);
    }

    private static void bindExpiry(PreparedStatement ps, int index, Instant expiresAt) throws SQLException {
        if (expiresAt == null) {
            ps.setNull(index, Types.BIGINT);
        } else {
            ps.setLong(index, expiresAt.getEpochSecond());
        }
    }

    private static Instant expiry(ResultSet rs, int column) throws SQLException {
        long seconds = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochSecond(seconds);
    }

    private static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Rolls back what is left of a transaction and returns to autocommit; a broken connection is the pool's to drop. */
    private static void endTransactionQuietly(Connection c) {
        try {
            if (!c.getAutoCommit()) {
                c.rollback();
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            LOG.debug("Ending a transaction failed: {}", e.getMessage());
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException e) {
            LOG.debug("ROLLBACK failed: {}", e.getMessage());
        }
    }

    private static <T> CompletableFuture<T> closedFuture() {
        return CompletableFuture.failedFuture(new UnavailableException("the postgres backend is closed", null));
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
