package dev.polystore.sqlite;

import dev.polystore.Codec;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import dev.polystore.internal.DefaultStorage;
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
