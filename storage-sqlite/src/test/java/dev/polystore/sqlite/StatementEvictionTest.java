package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.BatchWriteException;
import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 12, section 2: sqlite-jdbc finalizes a statement after most errors while
 * {@code isClosed()} stays false; a cached statement must be evicted then, or every later use of
 * it fails ("statement is not executing") until the storage is reopened. For every cached
 * statement of the writer and the readers, and every error kind after which the driver
 * finalizes: one operation fails (with the kind its error maps to), and then the same operation
 * — through the same cached statement — succeeds, on the same {@link Storage}.
 */
class StatementEvictionTest {
    // NORMAL: no fsync per commit (the statements, not durability, are under test here).
    private static final Map<String, String> SETTINGS = Map.of("expiry_purge_interval_s", "0", "readers", "1",
            "synchronous", "NORMAL");

    @TempDir
    Path dir;

    private final JdbcFaults faults = new JdbcFaults();
    private Storage storage;
    private Store<String> s;
    private int seq;

    @BeforeEach
    void open() {
        storage = Sqlite.open(dir.resolve("e.db"), SETTINGS, faults);
        s = Sqlite.strings(storage);
        await(s.put(Item.of("p", "existing", "there")));
        // Every statement used once, so that the cache holds it before the fault.
        await(s.batchPut(List.of(Item.of("p", "b0", "b"))));
        await(s.delete("p", "b0"));
        await(s.query("p", ""));
        await(s.batchGet(List.of(Key.of("p", "existing"))));
        inGroup(List.of(Item.of("p", "w0", "w")), true);
    }

    @AfterEach
    void close() {
        storage.close();
    }

    private static Predicate<JdbcFaults.Call> writer(String method, String sql) {
        return JdbcFaults.onConnection(0).and(JdbcFaults.method(method)).and(c -> c.sql() != null && c.sql().equals(sql));
    }

    private static Predicate<JdbcFaults.Call> reader(String method, String sqlPrefix) {
        return JdbcFaults.onConnection(1).and(JdbcFaults.method(method)).and(JdbcFaults.sql(sqlPrefix));
    }

    /** The kinds after which sqlite-jdbc finalizes the statement. */
    @ParameterizedTest
    @EnumSource(value = SqliteFault.class, names = {"FULL", "FULL_ROLLBACK", "IOERR", "NOMEM", "CORRUPT", "TOOBIG", "GENERIC"})
    void cachedCommit(SqliteFault kind) {
        writeFailsOnceThenWorks(kind, writer("execute", "COMMIT"), true);
    }

    @ParameterizedTest
    @EnumSource(value = SqliteFault.class, names = {"FULL", "FULL_ROLLBACK", "IOERR", "NOMEM", "CORRUPT", "TOOBIG", "GENERIC"})
    void cachedBeginSavepointAndRelease(SqliteFault kind) {
        writeFailsOnceThenWorks(kind, writer("execute", "BEGIN IMMEDIATE"), false);
        groupWriteFailsOnceThenWorks(kind, writer("execute", "SAVEPOINT op"));
        groupWriteFailsOnceThenWorks(kind, writer("execute", "RELEASE op"));
    }

    /**
     * A group of three puts whose first fails at {@code where}: it fails with its kind and is not
     * written; the other two are (run again if SQLite lost the transaction); three more groups
     * through the same statements succeed.
     */
    private void groupWriteFailsOnceThenWorks(SqliteFault kind, Predicate<JdbcFaults.Call> where) {
        long before = faults.injected();
        faults.arm(1, kind, where);
        List<Key> keys = List.of(Key.of("p", "g" + seq++), Key.of("p", "g" + seq++), Key.of("p", "g" + seq++));
        List<CompletableFuture<Item<String>>> futures = Sqlite.inOneGroup(s, faults,
                () -> keys.stream().map(k -> s.put(Item.of(k.pk(), k.sk(), "v"))).toList());
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).handle((v, e) -> null).join();
        assertEquals(before + 1, faults.injected(), () -> "the fault was injected; calls: " + faults.recentCalls());
        assertKind(kind, false, failure(StoreException.class, futures.get(0)));
        assertTrue(await(s.get(keys.get(0).pk(), keys.get(0).sk())).isEmpty(), "the failed write is not there");
        for (int i = 1; i < keys.size(); i++) {
            assertEquals(1, await(futures.get(i)).version(), "innocent write " + i + " of the group");
            assertEquals("v", await(s.get(keys.get(i).pk(), keys.get(i).sk())).orElseThrow().value());
        }
        for (int round = 0; round < 3; round++) {
            List<Key> next = List.of(Key.of("p", "g" + seq++), Key.of("p", "g" + seq++));
            List<CompletableFuture<Item<String>>> ok = Sqlite.inOneGroup(s, faults,
                    () -> next.stream().map(k -> s.put(Item.of(k.pk(), k.sk(), "w"))).toList());
            ok.forEach(Sqlite::await);
        }
        faults.disarm();
    }

    @ParameterizedTest
    @EnumSource(value = SqliteFault.class, names = {"FULL", "FULL_ROLLBACK", "IOERR", "NOMEM", "CORRUPT", "TOOBIG", "GENERIC"})
    void cachedUpsertAndStateRead(SqliteFault kind) {
        Sql.TableSql sql = Sql.TableSql.of("kit");
        writeFailsOnceThenWorks(kind, writer("executeUpdate", sql.upsert()), false);
        writeFailsOnceThenWorks(kind, writer("executeQuery", sql.selectState()), false);
    }

    @ParameterizedTest
    @EnumSource(value = SqliteFault.class, names = {"FULL", "FULL_ROLLBACK", "IOERR", "NOMEM", "CORRUPT", "TOOBIG", "GENERIC"})
    void cachedBatchUpsert(SqliteFault kind) {
        faults.arm(1, kind, writer("executeUpdate", Sql.TableSql.of("kit").batchUpsert()));
        List<Item<String>> batch = List.of(Item.of("p", "x" + seq++, "1"), Item.of("p", "x" + seq++, "2"));
        BatchWriteException e = failure(BatchWriteException.class, s.batchPut(batch));
        assertEquals(batch.stream().map(Item::key).toList(), e.unprocessed(), "the whole chunk was rolled back");
        assertEquals(kind != SqliteFault.CORRUPT && kind != SqliteFault.GENERIC && kind != SqliteFault.TOOBIG,
                e.retryable(), "retryable exactly when the cause is: " + e.getCause());
        for (Item<String> it : batch) {
            assertTrue(await(s.get(it.key().pk(), it.key().sk())).isEmpty(), "a failed batch wrote " + it.key());
        }
        assertEquals(1, faults.injected());
        // The same cached batch statement, three more times.
        for (int round = 0; round < 3; round++) {
            List<Item<String>> next = List.of(Item.of("p", "y" + seq++, "1"), Item.of("p", "y" + seq++, "2"));
            await(s.batchPut(next));
            for (Item<String> it : next) {
                assertEquals(it.value(), await(s.get(it.key().pk(), it.key().sk())).orElseThrow().value());
            }
        }
    }

    /**
     * {@code ROLLBACK TO} runs after a request of a group fails (here a failed condition); when
     * it fails, the group's transaction is lost: the others of the group run again, and later
     * groups with a failing request work as before.
     */
    @ParameterizedTest
    @EnumSource(value = SqliteFault.class, names = {"FULL", "FULL_ROLLBACK", "IOERR", "NOMEM", "CORRUPT", "TOOBIG", "GENERIC"})
    void cachedRollbackTo(SqliteFault kind) {
        faults.arm(1, kind, writer("execute", "ROLLBACK TO op"));
        List<Item<String>> puts = List.of(Item.of("p", "r" + seq++, "1"), Item.of("p", "r" + seq++, "2"));
        inGroup(puts, false);
        assertEquals(1, faults.injected(), "ROLLBACK TO was failed once");
        for (int round = 0; round < 3; round++) {
            inGroup(List.of(Item.of("p", "r" + seq++, "1"), Item.of("p", "r" + seq++, "2")), false);
        }
    }

    /**
     * A group of three: {@code puts} around an if-absent put on an existing key; the puts
     * succeed, the conditional one fails its condition (exactly: it really exists).
     */
    private void inGroup(List<Item<String>> puts, boolean warmUp) {
        List<CompletableFuture<Item<String>>> futures = new ArrayList<>();
        CompletableFuture<Item<String>> clash = Sqlite.inOneGroup(s, faults, () -> {
            futures.add(s.put(puts.get(0)));
            CompletableFuture<Item<String>> c = s.put(Item.of("p", "existing", "again"), Condition.ifAbsent());
            for (int i = 1; i < puts.size(); i++) {
                futures.add(s.put(puts.get(i)));
            }
            return c;
        });
        for (int i = 0; i < puts.size(); i++) {
            Item<String> it = puts.get(i);
            assertEquals(1, await(futures.get(i)).version(), "innocent write " + it.key() + " of the group");
            assertEquals(it.value(), await(s.get(it.key().pk(), it.key().sk())).orElseThrow().value());
        }
        failure(ConditionFailedException.class, clash);
        if (!warmUp) {
            assertEquals("there", await(s.get("p", "existing")).orElseThrow().value());
        }
    }

    @ParameterizedTest
    @EnumSource(value = SqliteFault.class, names = {"FULL", "IOERR", "NOMEM", "CORRUPT", "TOOBIG", "GENERIC"})
    void readersStatements(SqliteFault kind) {
        Sql.TableSql sql = Sql.TableSql.of("kit");
        // A get: its cached select, failed at execution and while stepping.
        readFailsOnceThenWorks(kind, reader("executeQuery", sql.selectItem()),
                () -> s.get("p", "existing").thenApply(o -> o.orElseThrow().value()), "there");
        // A query.
        readFailsOnceThenWorks(kind, reader("executeQuery", "SELECT"),
                () -> s.query(Query.partition("p").prefix("exist")).thenApply(p -> p.items().get(0).value()),
                "there");
        // A batch get: its BEGIN, its select, its COMMIT (each cached on the reader).
        for (String prefix : new String[] {"BEGIN", "SELECT", "COMMIT"}) {
            readFailsOnceThenWorks(kind, reader(prefix.equals("SELECT") ? "executeQuery" : "execute", prefix),
                    () -> s.batchGet(List.of(Key.of("p", "existing")))
                            .thenApply(m -> m.get(Key.of("p", "existing")).value()), "there");
        }
    }

    private <T> void readFailsOnceThenWorks(SqliteFault kind, Predicate<JdbcFaults.Call> where,
                                            java.util.function.Supplier<CompletableFuture<T>> read, T expected) {
        long before = faults.injected();
        faults.arm(1, kind, where);
        StoreException e = failure(StoreException.class, read.get());
        assertEquals(before + 1, faults.injected(), "the fault was injected");
        assertKind(kind, false, e);
        for (int i = 0; i < 3; i++) {
            assertEquals(expected, await(read.get()), "read " + i + " after a " + kind + " on a reader's statement");
        }
        faults.disarm();
    }

    /**
     * One put fails at {@code where} with {@code kind}; it is then not there (unless the
     * outcome is reported unknown, at a COMMIT); three more puts through the same statements
     * succeed.
     */
    private void writeFailsOnceThenWorks(SqliteFault kind, Predicate<JdbcFaults.Call> where, boolean atCommit) {
        long before = faults.injected();
        faults.arm(1, kind, where);
        Key k = Key.of("p", "k" + seq++);
        StoreException e = failure(StoreException.class, s.put(Item.of(k.pk(), k.sk(), "v")));
        assertEquals(before + 1, faults.injected(), "the fault was injected");
        assertKind(kind, atCommit, e);
        if (!(e instanceof OutcomeUnknownException)) {
            assertTrue(await(s.get(k.pk(), k.sk())).isEmpty(), "reported " + e + " but written");
        }
        for (int i = 0; i < 3; i++) {
            Key next = Key.of("p", "k" + seq++);
            await(s.put(Item.of(next.pk(), next.sk(), "v" + i)));
            assertEquals("v" + i, await(s.get(next.pk(), next.sk())).orElseThrow().value());
        }
        faults.disarm();
    }

    private static final Class<? extends StoreException> UNKNOWN = OutcomeUnknownException.class;
    private static final Class<? extends StoreException> UNAVAILABLE = UnavailableException.class;

    /** The portable kind each SQLite error maps to (docs/sqlite.md, "Errors"). */
    static void assertKind(SqliteFault kind, boolean atCommit, StoreException e) {
        switch (kind) {
            case FULL, FULL_ROLLBACK, NOMEM, BUSY -> assertInstanceOf(UnavailableException.class, e, e.toString());
            case IOERR, IOERR_AFTER -> isA(atCommit ? UNKNOWN : UNAVAILABLE, e);
            case CORRUPT -> {
                if (atCommit) {
                    assertInstanceOf(OutcomeUnknownException.class, e, e.toString());
                } else {
                    assertEquals(StoreException.class, e.getClass(), e.toString());
                    assertFalse(e.retryable());
                }
            }
            case TOOBIG -> assertInstanceOf(ValidationException.class, e, e.toString());
            case GENERIC, RUNTIME -> assertEquals(StoreException.class, e.getClass(), e.toString());
            case NO_CODE -> {
                if (atCommit) {
                    assertInstanceOf(UnavailableException.class, e, e.toString());
                } else {
                    assertEquals(StoreException.class, e.getClass(), e.toString());
                }
            }
            case ERROR -> isA(atCommit ? UNKNOWN : UNAVAILABLE, e);
            default -> throw new AssertionError(kind);
        }
    }

    private static void isA(Class<?> type, Object e) {
        assertTrue(type.isInstance(e), "expected " + type.getSimpleName() + ", got " + e);
    }

    static <E extends Throwable> E failure(Class<E> type, CompletableFuture<?> f) {
        try {
            f.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() instanceof CompletionException ce && ce.getCause() != null ? ce.getCause()
                    : e.getCause();
            assertInstanceOf(type, cause);
            return type.cast(cause);
        } catch (Exception e) {
            throw new AssertionError("expected " + type.getSimpleName() + " but got " + e, e);
        }
        throw new AssertionError("expected " + type.getSimpleName() + " but the future succeeded");
    }
}
