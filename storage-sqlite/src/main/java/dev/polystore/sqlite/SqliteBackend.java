package dev.polystore.sqlite;

import dev.polystore.Capabilities;
import dev.polystore.Capability;
import dev.polystore.ConfigurationException;
import dev.polystore.Health;
import dev.polystore.Key;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import dev.polystore.spi.ConfigSection;
import dev.polystore.spi.QuerySpec;
import dev.polystore.spi.RawItem;
import dev.polystore.spi.RawPage;
import dev.polystore.spi.SearchIndex;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.WriteOp;
import dev.polystore.spi.ImportMode;
import dev.polystore.spi.IndexAccelerator;
import dev.polystore.spi.ImportOutcome;
import dev.polystore.spi.ScanPlan;
import dev.polystore.spi.KeySegment;
import dev.polystore.spi.ScanPage;
import dev.polystore.spi.TableNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SQLite backend: one file in WAL mode, one writer connection fed by a queue with group
 * commit ({@link Writer}), a pool of read-only reader connections for gets and queries.
 *
 * <p><b>Threads.</b> {@code polystore-sqlite-writer} owns the writer connection. A read borrows
 * one of {@code readers} reader connections: on the calling thread when one is free and
 * {@code read_on_caller} is on (the default; the future is then complete when returned),
 * otherwise on a {@code polystore-sqlite-reader-N} thread. Futures of writes and of queued
 * reads are completed on {@code polystore-sqlite-callback-N} threads (a cached pool), so that
 * callbacks which block cannot stall the writer or the readers, nor deadlock them by waiting on
 * another storage call. All are daemon threads: call {@link #close()} to commit queued writes
 * before the JVM exits.
 */
final class SqliteBackend implements StorageBackend {
    private static final Logger LOG = LoggerFactory.getLogger(SqliteBackend.class);

    /**
     * Transactions have DynamoDB's limits, so a transaction that works here works there. Batch
     * limits are only the size of one engine call (the API splits larger batches, invisibly to
     * users), so they are larger than DynamoDB's: a batch chunk is one writer request, and every
     * chunk waits for a commit.
     */
    static final int MAX_TRANSACTION_ITEMS = 100;
    static final long MAX_TRANSACTION_BYTES = 4L * 1024 * 1024;
    static final int MAX_BATCH_GET = 500;
    static final int MAX_BATCH_WRITE = 500;
    private static final Capabilities CAPABILITIES = new Capabilities(
            EnumSet.of(Capability.TRANSACTIONS, Capability.BATCH, Capability.EXPIRY, Capability.NATIVE_SEARCH,
                    Capability.SCAN, Capability.IMPORT, Capability.NATIVE_INDEXES),
            MAX_TRANSACTION_ITEMS, MAX_TRANSACTION_BYTES, MAX_BATCH_GET, MAX_BATCH_WRITE);
    private static final AtomicInteger INSTANCES = new AtomicInteger();
    /** Ends a reader's read transaction (no busy retries: a read transaction takes no lock that waits). */
    private static final Transactions READ_TRANSACTIONS = new Transactions(Duration.ZERO);
    /** Set on this backend's callback threads, so that close() called from a callback does not wait for itself. */
    private static final ThreadLocal<SqliteBackend> CALLBACK_OWNER = new ThreadLocal<>();

    private final SqliteSettings settings;
    private final Clock clock;
    private final SqliteErrors errors;
    private final Writer writer;
    private final List<StatementCache> readerConnections;
    /** Idle reader connections, most recently used first: a lone caller keeps reusing one warm page cache. */
    private final BlockingDeque<StatementCache> idleReaders;
    private final ThreadPoolExecutor readerThreads;
    private final ThreadPoolExecutor completions;
    private final Set<String> preparedTables = ConcurrentHashMap.newKeySet();
    private final Object lifecycle = new Object();
    private final int schemaVersionFound;
    private volatile boolean closed;

    private SqliteBackend(SqliteSettings settings, Clock clock, SqliteErrors errors, StatementCache writerConnection,
                          List<StatementCache> readers, int schemaVersionFound) {
        this.settings = settings;
        this.clock = clock;
        this.errors = errors;
        this.schemaVersionFound = schemaVersionFound;
        int id = INSTANCES.incrementAndGet();
        ThreadFactory callbackThreads = threads("polystore-sqlite-" + id + "-callback-");
        this.completions = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> callbackThreads.newThread(() -> {
                    CALLBACK_OWNER.set(this);
                    r.run();
                }));
        this.writer = new Writer(writerConnection, new Transactions(settings.busyTimeout()), errors, clock, completions,
                settings.groupCommitMaxOps(), settings.expiryPurgeInterval(), "polystore-sqlite-" + id + "-writer");
        this.readerConnections = List.copyOf(readers);
        this.idleReaders = new LinkedBlockingDeque<>(readers);
        this.readerThreads = new ThreadPoolExecutor(readers.size(), readers.size(), 0, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), threads("polystore-sqlite-" + id + "-reader-"));
        this.writer.start();
    }

    /**
     * Opens the file: creates parent folders, opens the writer (WAL, pragmas read back), migrates
     * the schema, then opens the readers.
     */
    static SqliteBackend open(SqliteSettings settings, ConfigSection config, Clock clock) {
        return open(settings, config, clock, UnaryOperator.identity());
    }

    /**
     * As {@link #open(SqliteSettings, ConfigSection, Clock)}, with every JDBC connection (the
     * writer first, then the readers) passed through {@code connectionWrapper} as it is opened:
     * the hook through which tests inject engine faults. Not reachable from configuration.
     */
    static SqliteBackend open(SqliteSettings settings, ConfigSection config, Clock clock,
                              UnaryOperator<Connection> connectionWrapper) {
        Path path = settings.path().toAbsolutePath().normalize();
        Path parent = path.getParent();
        try {
            if (parent != null) {
                Files.createDirectories(parent);
            }
        } catch (IOException e) {
            throw new ConfigurationException(config.fullKey(SqliteSettings.PATH) + " = \"" + settings.path()
                    + "\": cannot create the folder " + parent + ": " + e, e);
        }
        SqliteErrors errors = new SqliteErrors(path.toString(), settings.busyTimeout().toMillis());
        Connections connections = new Connections(settings, connectionWrapper);
        List<StatementCache> opened = new ArrayList<>();
        try {
            Connection w = connections.openWriter();
            opened.add(new StatementCache(w));
            int found = Schema.migrate(w, path, clock, Schema.CURRENT, new Transactions(settings.busyTimeout()));
            List<StatementCache> readers = new ArrayList<>();
            for (int i = 0; i < settings.readers(); i++) {
                StatementCache r = new StatementCache(connections.openReader());
                opened.add(r);
                readers.add(r);
            }
            LOG.debug("Opened SQLite database {} (schema version {} found, {} now; {} readers)", path, found,
                    Schema.CURRENT, readers.size());
            return new SqliteBackend(settings, clock, errors, opened.get(0), readers, found);
        } catch (SQLException e) {
            opened.forEach(StatementCache::close);
            StoreException mapped = errors.map("open the database", e);
            if (SqliteErrors.isBusy(e)) {
                // Another process holds the file past the busy timeout: retryable, not a config error.
                throw mapped;
            }
            throw new ConfigurationException(config.fullKey(SqliteSettings.PATH) + " = \"" + settings.path()
                    + "\": " + mapped.getMessage(), e);
        } catch (RuntimeException e) {
            opened.forEach(StatementCache::close);
            throw e;
        }
    }

    @Override
    public String name() {
        return SqliteStorageProvider.NAME;
    }

    @Override
    public Capabilities capabilities() {
        return CAPABILITIES;
    }

    /** Transactions the writer has committed (each may hold many callers' writes). */
    long commits() {
        return writer.commits();
    }

    /** Deletes every expired item now, through the writer queue. @return how many */
    CompletableFuture<Long> purgeExpired() {
        return write(writer.purgeRequest(Integer.MAX_VALUE));
    }

    /** Expired items deleted by purges so far. */
    long purged() {
        return writer.purged();
    }

    /** The schema version the file had when opened (0 for a new file). */
    int schemaVersionFound() {
        return schemaVersionFound;
    }

    // --- writes ---

    @Override
    public CompletableFuture<Void> prepareTable(String table) {
        if (preparedTables.contains(table)) {
            return closed ? closedFuture() : CompletableFuture.completedFuture(null);
        }
        try {
            TableNames.require(table);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        return write(new Writer.Request<Void>(1, () -> "create store '" + table + "'", null, (w, now) -> {
            w.createTable(table);
            return null;
        })).thenApply(v -> {
            preparedTables.add(table);
            return null;
        });
    }

    @Override
    public CompletableFuture<Long> put(WriteOp.Put put) {
        return write(new Writer.Request<>(1, () -> "write " + put.key() + " to store '" + put.table() + "'", put.key(),
                (w, now) -> w.put(put, now, -1)));
    }

    @Override
    public CompletableFuture<Boolean> delete(WriteOp.Delete delete) {
        return write(new Writer.Request<>(1, () -> "delete " + delete.key() + " from store '" + delete.table() + "'",
                delete.key(), (w, now) -> w.delete(delete, now, -1)));
    }

    @Override
    public CompletableFuture<List<Long>> transact(List<WriteOp> operations) {
        List<WriteOp> ops = List.copyOf(operations);
        return write(new Writer.Request<>(Math.max(1, ops.size()), () -> "commit a transaction of " + ops.size()
                + " operations", ops.size() == 1 ? ops.get(0).key() : null, (w, now) -> w.transact(ops, now)));
    }

    @Override
    public CompletableFuture<Void> batchWrite(String table, List<WriteOp> writes) {
        List<WriteOp> ops = List.copyOf(writes);
        return write(new Writer.Request<Void>(Math.max(1, ops.size()), () -> "write a batch of " + ops.size()
                + " items to store '" + table + "'", null, (w, now) -> {
            w.batch(ops, now);
            return null;
        }));
    }

    private <T> CompletableFuture<T> write(Writer.Request<T> request) {
        synchronized (lifecycle) {
            if (closed) {
                return closedFuture();
            }
            return writer.submit(request);
        }
    }

    @Override
    public CompletableFuture<List<ImportOutcome>> importItems(String table, List<RawItem> items, ImportMode mode) {
        List<RawItem> copy = List.copyOf(items);
        return write(new Writer.Request<>(Math.max(1, copy.size()), () -> "import " + copy.size() + " items into store '"
                + table + "'", null, (w, now) -> w.importItems(table, copy, mode, now)))
                .exceptionally(e -> {
                    // The request is one transaction: nothing of it was written (or, for a lost
                    // COMMIT, the outcome is unknown for every item alike).
                    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                            ? e.getCause() : e;
                    StoreException failure = cause instanceof StoreException se ? se
                            : new StoreException("SQLite could not import into store '" + table + "': " + cause, cause);
                    List<ImportOutcome> failed = new ArrayList<>(copy.size());
                    copy.forEach(i -> failed.add(ImportOutcome.failed(failure)));
                    return failed;
                });
    }

    // --- scan ---

    /** The tag of this backend's scan positions. */
    private static final String SCAN_TAG = "sqlite";
    /** Keys sampled per segment to place the boundaries. */
    private static final int SAMPLES_PER_SEGMENT = 16;
    private static final int MAX_SAMPLES = 20_000;

    @Override
    public CompletableFuture<List<String>> listTables() {
        return read(() -> "list the stores", (r, now) -> Schema.tables(r.connection()));
    }

    /**
     * Splits the table by key without reading it: the rowid extent is one seek at each end of the
     * table's b-tree; keys at evenly spaced rowids (one seek each, {@value #SAMPLES_PER_SEGMENT}
     * per segment) are a sample of the keys, and their quantiles are the boundaries. The segments
     * are then key ranges on the primary key's index.
     */
    @Override
    public CompletableFuture<ScanPlan> scanSegments(String table, int segments) {
        return read(() -> "plan a scan of store '" + table + "'", (r, now) -> {
            long min;
            long max;
            boolean empty;
            try (ResultSet rs = r.get(Sql.rowidRange(table)).executeQuery()) {
                rs.next();
                min = rs.getLong(1);
                empty = rs.wasNull();
                max = rs.getLong(2);
            }
            List<Key> samples = new ArrayList<>();
            if (!empty && segments > 1) {
                int n = (int) Math.min(Math.min((long) segments * SAMPLES_PER_SEGMENT, MAX_SAMPLES), max - min + 1);
                PreparedStatement ps = r.get(Sql.keyAtRowid(table));
                for (int i = 0; i < n; i++) {
                    ps.setLong(1, min + (long) ((double) (max - min) * i / Math.max(1, n - 1)));
                    try (ResultSet rs = ps.executeQuery()) {
                        if (rs.next()) {
                            samples.add(Key.of(rs.getString(1), rs.getString(2)));
                        }
                    }
                }
            }
            List<String> positions = new ArrayList<>(segments);
            for (KeySegment s : KeySegment.split(SCAN_TAG, KeySegment.quantiles(samples, segments), segments)) {
                positions.add(s.encode());
            }
            return new ScanPlan(positions, empty ? 0 : max - min + 1);
        });
    }

    @Override
    public CompletableFuture<ScanPage> scan(String table, String position, int limit) {
        KeySegment segment;
        try {
            segment = KeySegment.decode(position, SCAN_TAG);
        } catch (StoreException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (segment.empty()) {
            return CompletableFuture.completedFuture(new ScanPage(List.of(), null, 0));
        }
        return read(() -> "scan store '" + table + "'", (r, now) -> {
            Key start = segment.after() != null ? segment.after() : segment.from();
            boolean inclusive = segment.after() == null;
            PreparedStatement ps = r.getBindingAll(Sql.scanPage(table, start != null, inclusive, segment.to() != null));
            int i = 1;
            if (start != null) {
                ps.setString(i++, start.pk());
                ps.setString(i++, start.sk());
            }
            if (segment.to() != null) {
                ps.setString(i++, segment.to().pk());
                ps.setString(i++, segment.to().sk());
            }
            ps.setInt(i, limit + 1);
            long nowSeconds = now.getEpochSecond();
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
                    Key key = Key.of(rs.getString(1), rs.getString(2));
                    long expires = rs.getLong(4);
                    if (expires != Sql.NO_EXPIRY && expires <= nowSeconds) {
                        rows++;
                        last = key;
                        expired++;
                        continue;
                    }
                    byte[] payload = payload(rs, 5);
                    if (!items.isEmpty() && bytes + payload.length > ScanPage.MAX_BYTES) {
                        // Too large for this page: the next one starts with it.
                        return new ScanPage(items, segment.resumeAfter(last).encode(), expired);
                    }
                    rows++;
                    last = key;
                    items.add(new RawItem(last, payload, rs.getLong(3),
                            expires == Sql.NO_EXPIRY ? null : Instant.ofEpochSecond(expires)));
                    bytes += payload.length;
                }
            }
            return new ScanPage(items, null, expired);
        });
    }

    // --- native search (FTS5) ---

    private final SearchIndex searchIndex = new SearchIndex() {
        @Override
        public CompletableFuture<Void> prepareIndex(String table) {
            try {
                TableNames.require(table);
            } catch (StoreException e) {
                return CompletableFuture.failedFuture(e);
            }
            return write(new Writer.Request<Void>(1, () -> "prepare the search index of store '" + table + "'", null,
                    (w, now) -> {
                        w.createSearchIndex(table);
                        return null;
                    }));
        }

        @Override
        public CompletableFuture<List<Match>> search(String table, List<String> terms, int limit) {
            String match;
            try {
                TableNames.require(table);
                match = Fts.matchExpression(List.copyOf(terms));
            } catch (IllegalArgumentException e) {
                return CompletableFuture.failedFuture(new ValidationException(e.getMessage()));
            } catch (StoreException e) {
                return CompletableFuture.failedFuture(e);
            }
            return read(() -> "search store '" + table + "'", (r, now) -> {
                PreparedStatement ps = r.get(Fts.search(table));
                ps.setString(1, match);
                ps.setLong(2, now.getEpochSecond());
                ps.setInt(3, limit);
                List<Match> matches = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        matches.add(new Match(rs.getString(1), -rs.getDouble(2)));
                    }
                }
                return matches;
            });
        }
    };

    @Override
    public Optional<SearchIndex> searchIndex() {
        return Optional.of(searchIndex);
    }


    // --- native secondary-index entries ({@link NativeIndexes}) ---

    private final IndexAccelerator indexAccelerator = new IndexAccelerator() {
        @Override
        public CompletableFuture<String> prepareEntries(String table) {
            try {
                TableNames.require(table);
            } catch (StoreException e) {
                return CompletableFuture.failedFuture(e);
            }
            return write(new Writer.Request<>(1, () -> "prepare the index entries of store '" + table + "'", null,
                    (w, now) -> w.prepareEntries(table)));
        }

        @Override
        public CompletableFuture<List<Long>> transact(List<WriteOp> operations, List<EntryWrite> entries) {
            List<WriteOp> ops = List.copyOf(operations);
            List<EntryWrite> writes = List.copyOf(entries);
            return write(new Writer.Request<>(Math.max(1, ops.size() + writes.size()), () -> "commit a transaction of "
                    + ops.size() + " operations and " + writes.size() + " index entries",
                    ops.size() == 1 ? ops.get(0).key() : null, (w, now) -> w.transact(ops, writes, now)));
        }

        @Override
        public CompletableFuture<RawPage> query(QuerySpec q) {
            return read(() -> "query index entries " + q.pk() + " of store '" + q.table() + "'", (r, now) -> {
                NativeIndexes.Select select = NativeIndexes.query(q.table(), q.pk(), q.range(), q.direction(),
                        q.exclusiveStartSk(), now.getEpochSecond(), q.limit());
                PreparedStatement ps = r.getBindingAll(select.sql());
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
                        last = rs.getString(1);
                        items.add(new RawItem(new Key(rs.getString(2), rs.getString(3)), payload(rs, 6), rs.getLong(4),
                                expiryOrSentinel(rs, 5)));
                    }
                }
                return new RawPage(items, more ? last : null);
            });
        }
    };

    @Override
    public Optional<IndexAccelerator> indexAccelerator() {
        return Optional.of(indexAccelerator);
    }

    /**
     * For {@code Storage.unwrap}: a {@code javax.sql.DataSource} whose connections open the
     * database file <b>read-only</b> (for {@code EXPLAIN QUERY PLAN}, statistics, ad-hoc reads);
     * each connection is the caller's to close. Writes fail in SQLite itself.
     */
    @Override
    public Map<Class<?>, Object> nativeHandles() {
        org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
        config.setReadOnly(true);
        config.setBusyTimeout((int) settings.busyTimeout().toMillis());
        org.sqlite.SQLiteDataSource dataSource = new org.sqlite.SQLiteDataSource(config);
        dataSource.setUrl("jdbc:sqlite:" + settings.path().toAbsolutePath().normalize());
        return Map.of(javax.sql.DataSource.class, dataSource);
    }

    // --- reads ---

    /** A read on a borrowed reader connection. */
    private interface Read<T> {
        T apply(StatementCache reader, Instant now) throws SQLException;
    }

    @Override
    public CompletableFuture<Optional<RawItem>> get(String table, Key key) {
        return read(() -> "read " + key + " from store '" + table + "'", (r, now) -> Optional.ofNullable(getItem(r, table, key, now)));
    }

    private static RawItem getItem(StatementCache r, String table, Key key, Instant now) throws SQLException {
        PreparedStatement ps = r.getBindingAll(Sql.TableSql.of(table).selectItem());
        ps.setString(1, key.pk());
        ps.setString(2, key.sk());
        try (ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return null;
            }
            RawItem item = new RawItem(key, payload(rs, 3), rs.getLong(1), expiryOrSentinel(rs, 2));
            return item.expiredAt(now) ? null : item;
        }
    }

    @Override
    public CompletableFuture<RawPage> query(QuerySpec q) {
        return read(() -> "query partition " + q.pk() + " of store '" + q.table() + "'", (r, now) -> {
            Sql.Select select = Sql.query(q.table(), q.pk(), q.range(), q.direction(), q.exclusiveStartSk(),
                    now.getEpochSecond(), q.limit());
            PreparedStatement ps = r.getBindingAll(select.sql());
            bind(ps, select.parameters());
            List<RawItem> items = new ArrayList<>(Math.min(q.limit(), 128));
            boolean more = false;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (items.size() == q.limit()) {
                        more = true;
                        break;
                    }
                    items.add(new RawItem(new Key(q.pk(), rs.getString(1)), payload(rs, 4), rs.getLong(2),
                            expiryOrSentinel(rs, 3)));
                }
            }
            return new RawPage(items, more ? items.get(items.size() - 1).key().sk() : null);
        });
    }

    @Override
    public CompletableFuture<List<RawItem>> batchGet(String table, List<Key> keys) {
        List<Key> copy = List.copyOf(keys);
        return read(() -> "read a batch of " + copy.size() + " keys from store '" + table + "'", (r, now) -> {
            List<RawItem> found = new ArrayList<>();
            // One read transaction: every key read from the same snapshot.
            r.execute("BEGIN");
            boolean done = false;
            try {
                for (Key key : copy) {
                    RawItem item = getItem(r, table, key, now);
                    if (item != null) {
                        found.add(item);
                    }
                }
                r.execute("COMMIT");
                done = true;
            } finally {
                if (!done && !READ_TRANSACTIONS.rollback(r.connection())) {
                    r.markDirty();
                }
            }
            return found;
        });
    }

    @Override
    public CompletableFuture<Health> health() {
        long start = System.nanoTime();
        Optional<Throwable> writerFailure = writer.failure();
        CompletableFuture<Health> h = read(() -> "check health", (r, now) -> {
            Map<String, String> details = new LinkedHashMap<>();
            writerFailure.ifPresent(t -> details.put("error", "the writer stopped after an unexpected error and "
                    + "takes no more writes (close and reopen the storage): " + t));
            details.put("path", settings.path().toAbsolutePath().normalize().toString());
            details.putAll(Connections.pragmas(r.connection()));
            details.put("schema_version", String.valueOf(Schema.version(r.connection())));
            details.put("queued_writes", String.valueOf(writer.pending()));
            details.put("commits", String.valueOf(writer.commits()));
            details.put("writes_committed", String.valueOf(writer.committedRequests()));
            details.put("expired_items_purged", String.valueOf(writer.purged()));
            details.put("readers", String.valueOf(readerConnections.size()));
            details.put("write_groups_retried", String.valueOf(writer.retriedGroups()));
            details.put("writer_unexpected_errors", String.valueOf(writer.unexpectedErrors()));
            return new Health(writerFailure.isEmpty(), name(), Duration.ofNanos(System.nanoTime() - start), details);
        });
        return h.exceptionally(e -> new Health(false, name(), Duration.ofNanos(System.nanoTime() - start),
                Map.of("path", settings.path().toString(), "error", String.valueOf(e.getCause() != null ? e.getCause() : e))));
    }

    /**
     * Runs {@code read} on a reader connection; {@code what} describes it for error messages
     * (built only when one is needed). With {@code read_on_caller} (the default) and a
     * connection free right now, it runs on the calling thread and the returned future is already
     * complete: an embedded read costs a few microseconds, three thread hand-offs cost ten times
     * that. Otherwise it is queued for a reader thread and completed on a callback thread. The
     * caller never waits for another caller's read: when every connection is busy, it queues.
     */
    private <T> CompletableFuture<T> read(Supplier<String> what, Read<T> read) {
        if (closed) {
            return closedFuture();
        }
        if (settings.readOnCaller()) {
            StatementCache r = idleReaders.pollFirst();
            if (r != null) {
                return runOn(r, what, read);
            }
        }
        CompletableFuture<T> future = new CompletableFuture<>();
        ReadTask task = new ReadTask(future, what, () -> {
            // Callers' threads borrow connections too: wait for one to come back (a read is short).
            StatementCache r;
            try {
                r = idleReaders.pollFirst(settings.busyTimeout().toMillis() + 30_000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                complete(future, null, new UnavailableException("interrupted while waiting to " + what.get(), e));
                return;
            }
            if (r == null) {
                complete(future, null, new UnavailableException("no SQLite reader connection came free to "
                        + what.get() + " (every one was busy longer than the busy timeout + 30 s); raise "
                        + "storage.sqlite.readers or look for reads that take that long", null));
                return;
            }
            // runOn's future is already complete, and fails only with a StoreException.
            runOn(r, what, read).whenComplete((value, failure) -> complete(future, value, (StoreException) failure));
        });
        // No lock: a read that slips in while close() starts still runs (shutdown lets queued
        // reads finish); one submitted after the shutdown is rejected here.
        try {
            readerThreads.execute(task);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new UnavailableException("the SQLite backend is closed", e));
        }
        return future;
    }

    /**
     * Runs {@code read} on the borrowed connection {@code r} on this thread, gives {@code r} back
     * and returns the outcome as a completed future (failed only with a {@link StoreException}).
     */
    private <T> CompletableFuture<T> runOn(StatementCache r, Supplier<String> what, Read<T> read) {
        boolean failed = true;
        try {
            // close() marks the backend closed before it waits for every connection to be
            // idle, so a connection borrowed after that wait would be checked here.
            if (closed) {
                failed = false;
                return closedFuture();
            }
            if (r.dirty()) {
                // An earlier read on this connection failed: make sure no read transaction (an old snapshot) is left open.
                if (!READ_TRANSACTIONS.rollback(r.connection())) {
                    return CompletableFuture.failedFuture(new UnavailableException("SQLite could not " + what.get()
                            + ": a reader connection could not end a read transaction left open by an earlier "
                            + "failure (see the log); retry", null));
                }
                r.markClean();
            }
            r.startUnit();
            CompletableFuture<T> done = CompletableFuture.completedFuture(read.apply(r, clock.instant()));
            failed = false;
            return done;
        } catch (SQLException e) {
            return CompletableFuture.failedFuture(errors.map(what.get(), e));
        } catch (StoreException e) {
            // Raised by this module's own checks, not by the driver: the connection is fine.
            failed = false;
            return CompletableFuture.failedFuture(e);
        } catch (Throwable e) {
            // A RuntimeException, or an Error: a read's future fails, it never throws.
            return CompletableFuture.failedFuture(new StoreException("SQLite could not " + what.get() + ": " + e, e));
        } finally {
            if (failed) {
                // The driver may have finalized the statements this read used; a transaction may be left open.
                try {
                    r.discardUsed();
                } finally {
                    r.markDirty();
                }
            }
            idleReaders.addFirst(r);
        }
    }

    /** A queued read, kept recognisable so that close can fail it if it never ran. */
    private record ReadTask(CompletableFuture<?> future, Supplier<String> what, Runnable body) implements Runnable {
        @Override
        public void run() {
            body.run();
        }
    }

    private <T> void complete(CompletableFuture<T> future, T value, StoreException failure) {
        Runnable completion = failure == null ? () -> future.complete(value) : () -> future.completeExceptionally(failure);
        try {
            completions.execute(completion);
        } catch (RejectedExecutionException e) {
            LOG.debug("Completion executor is shut down; completing on the reader thread");
            completion.run();
        }
    }

    /** Binds a select's parameters: strings (keys) as text, everything else a {@code long}. */
    private static void bind(PreparedStatement ps, List<Object> params) throws SQLException {
        for (int i = 0; i < params.size(); i++) {
            Object p = params.get(i);
            if (p instanceof String s) {
                ps.setString(i + 1, s);
            } else {
                ps.setLong(i + 1, ((Number) p).longValue());
            }
        }
    }

    private static byte[] payload(ResultSet rs, int column) throws SQLException {
        byte[] bytes = rs.getBytes(column);
        return bytes == null ? new byte[0] : bytes;
    }

    /** An expiry selected as {@code IFNULL(expires_at, Sql.NO_EXPIRY)}. */
    private static Instant expiryOrSentinel(ResultSet rs, int column) throws SQLException {
        long seconds = rs.getLong(column);
        return seconds == Sql.NO_EXPIRY ? null : Instant.ofEpochSecond(seconds);
    }

    // --- lifecycle ---

    /**
     * Stops taking new calls, lets in-flight reads finish, commits every queued write, completes
     * every future, checkpoints the WAL into the database file and closes the connections.
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            writer.stop();
        }
        boolean interrupted = false;
        // Reads first, so the final checkpoint is not held back by our own readers.
        readerThreads.shutdown();
        try {
            if (!readerThreads.awaitTermination(settings.busyTimeout().toMillis() + 30_000, TimeUnit.MILLISECONDS)) {
                LOG.warn("SQLite reads did not finish within the close timeout; failing those not started");
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        for (Runnable r : readerThreads.shutdownNow()) {
            if (r instanceof ReadTask task) {
                task.future.completeExceptionally(new UnavailableException("the SQLite backend closed before it could "
                        + task.what.get(), null));
            }
        }
        // Reads running on callers' threads: wait until every reader connection is back.
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.busyTimeout().toMillis() + 30_000);
        while (idleReaders.size() < readerConnections.size() && System.nanoTime() < deadline && !interrupted) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (idleReaders.size() < readerConnections.size()) {
            LOG.warn("SQLite reads on callers' threads still running at close; their connections are closed under them");
        }
        // Queued writes are committed even if this thread is interrupted: the flag is restored at the end.
        while (true) {
            try {
                writer.awaitStopped();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        checkpointAndClose();
        readerConnections.forEach(StatementCache::close);
        completions.shutdown();
        if (CALLBACK_OWNER.get() != this) {
            try {
                if (!completions.awaitTermination(30, TimeUnit.SECONDS)) {
                    LOG.warn("SQLite callbacks still running 30 s after close");
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void checkpointAndClose() {
        StatementCache w = writer.statements();
        try {
            // Refreshes query-planner statistics where SQLite thinks they are worth it (cheap).
            Connections.exec(w.connection(), "PRAGMA optimize");
        } catch (SQLException e) {
            LOG.debug("PRAGMA optimize at close failed: {}", e.getMessage());
        }
        try {
            Connections.exec(w.connection(), "PRAGMA wal_checkpoint(TRUNCATE)");
        } catch (SQLException e) {
            LOG.info("WAL checkpoint at close did not complete ({}); SQLite finishes it on the next open", e.getMessage());
        }
        w.close();
    }

    private static <T> CompletableFuture<T> closedFuture() {
        return CompletableFuture.failedFuture(new UnavailableException("the SQLite backend is closed", null));
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
