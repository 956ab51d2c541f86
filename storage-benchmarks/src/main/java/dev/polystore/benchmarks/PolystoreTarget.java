package dev.polystore.benchmarks;

import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Polystore through its public API ({@link Store}), on any backend. Values are the JSON bytes
 * themselves ({@link Codec#bytes()}), so both contenders get identical bytes to store and the
 * figures show the cost of the abstraction, not of a JSON mapper.
 */
public final class PolystoreTarget implements Target {
    /** Store name used by every benchmark (SQLite table {@code store_items}, DynamoDB table {@code <prefix>items}). */
    public static final String STORE = "items";

    private final Storage storage;
    private final Store<byte[]> store;

    public PolystoreTarget(Storage storage) {
        this.storage = storage;
        this.store = storage.store(STORE, Codec.bytes());
        // Prepares the table now rather than in the first measured call.
        store.get("warm", "up").join();
    }

    /** Polystore on SQLite with the backend's defaults (WAL, synchronous = FULL, group commit, reads on the caller). */
    public static PolystoreTarget sqlite(Path file) {
        return sqlite(file, true);
    }

    /** Polystore on SQLite with the defaults but {@code read_on_caller} as given. */
    public static PolystoreTarget sqlite(Path file, boolean readOnCaller) {
        return new PolystoreTarget(StoreFactory.open(StorageConfig.builder()
                .backend("sqlite")
                .set("sqlite.path", file.toString())
                .set("sqlite.read_on_caller", readOnCaller)
                .build()));
    }

    /**
     * Polystore on DynamoDB (Local) at {@code endpoint}, creating its table. DynamoDB Local
     * answers one request at a time, so the benchmarks' bursts queue at it for longer than the
     * backend's default timeouts (meant for DynamoDB itself) on a busy machine: the timeouts here
     * are those of a slow engine (docs/dynamodb.md, Timeouts). They never fire in a healthy run,
     * so they change no figure.
     */
    public static PolystoreTarget dynamodb(String endpoint) {
        return new PolystoreTarget(StoreFactory.open(StorageConfig.builder()
                .backend("dynamodb")
                .set("dynamodb.endpoint", endpoint)
                .set("dynamodb.region", RawDynamoDbTarget.REGION)
                .set("dynamodb.table_prefix", "bench_")
                .set("dynamodb.create_tables", true)
                .set("dynamodb.credentials", "local")
                .set("dynamodb.api_call_attempt_timeout_ms", 30_000)
                .set("dynamodb.api_call_timeout_ms", 120_000)
                .set("dynamodb.bulk_call_attempt_timeout_ms", 30_000)
                .set("dynamodb.bulk_call_timeout_ms", 120_000)
                .build()));
    }

    /**
     * Polystore on PostgreSQL at {@code url} with the backend's defaults (pool of 10, {@code
     * synchronous_commit = on}), tables {@code <prefix>items}, and {@code run_on_caller} as given.
     */
    public static PolystoreTarget postgres(String url, String user, String prefix, boolean runOnCaller) {
        return postgres(url, user, prefix, runOnCaller, true);
    }

    /** As {@link #postgres(String, String, String, boolean)}, with {@code batch_copy} as given. */
    public static PolystoreTarget postgres(String url, String user, String prefix, boolean runOnCaller, boolean batchCopy) {
        return new PolystoreTarget(StoreFactory.open(StorageConfig.builder()
                .backend("postgres")
                .set("postgres.url", url)
                .set("postgres.user", user)
                .set("postgres.table_prefix", prefix)
                .set("postgres.create_tables", true)
                .set("postgres.run_on_caller", runOnCaller)
                .set("postgres.batch_copy", batchCopy)
                .build()));
    }

    /** Polystore on the in-memory reference backend. */
    public static PolystoreTarget memory() {
        return new PolystoreTarget(StoreFactory.open(StorageConfig.builder().backend("memory").build()));
    }

    public Storage storage() {
        return storage;
    }

    public Store<byte[]> store() {
        return store;
    }

    @Override
    public CompletableFuture<byte[]> get(String pk, String sk) {
        return store.get(pk, sk).thenApply(found -> found.map(Item::value).orElse(null));
    }

    @Override
    public CompletableFuture<Long> put(String pk, String sk, byte[] payload) {
        return store.put(Item.of(pk, sk, payload)).thenApply(Item::version);
    }

    @Override
    public CompletableFuture<Long> query(String pk, String prefix) {
        return store.query(pk, prefix).thenApply(items -> {
            long bytes = 0;
            for (Item<byte[]> item : items) {
                bytes += item.value().length;
            }
            return bytes;
        });
    }

    @Override
    public CompletableFuture<Void> load(List<Entry> items) {
        List<Item<byte[]>> batch = new ArrayList<>(items.size());
        for (Entry e : items) {
            batch.add(Item.of(e.pk(), e.sk(), e.payload()));
        }
        return store.batchPut(batch);
    }

    /**
     * Loads {@code items} as {@code chunk}-sized {@code batchPut} calls all issued at once (rather
     * than one {@code batchPut} of everything, which the API sends with at most 8 chunks in
     * flight), so that a backend with group commit can commit as many chunks together as it takes.
     */
    public CompletableFuture<Void> loadConcurrently(List<Entry> items, int chunk) {
        List<CompletableFuture<Void>> calls = new ArrayList<>();
        for (int i = 0; i < items.size(); i += chunk) {
            calls.add(load(items.subList(i, Math.min(items.size(), i + chunk))));
        }
        return CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0]));
    }

    @Override
    public void close() {
        storage.close();
    }
}
