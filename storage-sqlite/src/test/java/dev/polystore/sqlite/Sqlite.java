package dev.polystore.sqlite;

import dev.polystore.Codec;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import dev.polystore.internal.DefaultStorage;
import dev.polystore.spi.ConfigSection;
import dev.polystore.spi.ProviderContext;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/** Helpers shared by this module's tests. */
final class Sqlite {
    private Sqlite() {
    }

    static StorageConfig config(Path db, Map<String, String> settings) {
        StorageConfig.Builder b = StorageConfig.builder().backend("sqlite").set("sqlite.path", db.toString());
        settings.forEach((k, v) -> b.set("sqlite." + k, v));
        return b.build();
    }

    static Storage open(Path db, Map<String, String> settings) {
        return StoreFactory.open(config(db, settings));
    }

    static Storage open(Path db) {
        return open(db, Map.of());
    }

    /**
     * Opens a storage whose JDBC connections go through {@code faults} (the writer is connection
     * 0, the readers 1…n), as {@link StoreFactory#open} would open it otherwise.
     */
    static Storage open(Path db, Map<String, String> settings, JdbcFaults faults) {
        StorageConfig config = config(db, settings);
        ProviderContext context = new ProviderContext(new ConfigSection("storage.sqlite", config.section("sqlite")),
                config.clock());
        return new DefaultStorage("sqlite", SqliteStorageProvider.open(context, faults), config.clock());
    }

    /** The writer's {@code BEGIN IMMEDIATE} (connection 0). */
    static final java.util.function.Predicate<JdbcFaults.Call> WRITER_BEGIN = JdbcFaults.onConnection(0)
            .and(JdbcFaults.method("execute")).and(JdbcFaults.sql("BEGIN IMMEDIATE"));

    /**
     * Runs the writes {@code submit} issues as one group commit, deterministically: a first put
     * (to {@code (gate, n)} of {@code store}) is held in its {@code BEGIN IMMEDIATE} while
     * {@code submit} queues the writes, then released; the writer takes everything queued as its
     * next group. The writes must be queued synchronously by {@code submit} (as puts,
     * transactions and batches of one chunk are). The gate write itself runs one
     * {@code BEGIN IMMEDIATE}, a read of the item's state, one upsert and one {@code COMMIT}
     * before the group: a fault armed for those calls must skip them ({@code arm(2, …)}).
     * @return what {@code submit} returned
     */
    static <T> T inOneGroup(Store<String> store, JdbcFaults faults, java.util.function.Supplier<T> submit) {
        JdbcFaults.Gate gate = faults.hold(WRITER_BEGIN);
        CompletableFuture<?> first = store.put(dev.polystore.Item.of("gate", "g" + System.nanoTime(), "gate"));
        try {
            if (!gate.awaitReached(java.time.Duration.ofSeconds(60))) {
                throw new AssertionError("the writer did not start the gate's transaction");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        T submitted;
        try {
            submitted = submit.get();
        } finally {
            gate.open();
        }
        await(first);
        return submitted;
    }

    /** {@code PRAGMA integrity_check} of the file, on a connection of its own. */
    static String integrityCheck(Path db) throws SQLException {
        try (Connection c = raw(db)) {
            return Connections.queryString(c, "PRAGMA integrity_check");
        }
    }

    static Store<String> strings(Storage storage) {
        return storage.store("kit", Codec.utf8());
    }

    static SqliteBackend backend(Storage storage) {
        return (SqliteBackend) ((DefaultStorage) storage).spi();
    }

    /** A plain JDBC connection to the file, as another program (or process) would have. */
    static Connection raw(Path db) throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + db);
    }

    static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("future failed or did not complete: " + e, e);
        }
    }

    /** The failure of {@code f}, unwrapped, checked to be a {@code type}. */
    static <E extends Throwable> E failure(Class<E> type, CompletableFuture<?> f) {
        try {
            f.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException ce && ce.getCause() != null ? ce.getCause() : e.getCause();
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
            throw new AssertionError("expected " + type.getSimpleName() + " but failed with " + cause, cause);
        } catch (Exception e) {
            throw new AssertionError("expected " + type.getSimpleName() + " but got " + e, e);
        }
        throw new AssertionError("expected " + type.getSimpleName() + " but the future succeeded");
    }
}
