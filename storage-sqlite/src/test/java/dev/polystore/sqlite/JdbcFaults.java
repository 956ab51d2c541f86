package dev.polystore.sqlite;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Fault injection at the JDBC layer, for tests: wraps every connection a backend opens (pass it
 * as the connection wrapper, e.g. {@code SqliteStorageProvider.open(context, faults)}) in
 * {@link Proxy dynamic proxies} of {@link Connection}, {@link Statement},
 * {@link PreparedStatement} and {@link ResultSet}, counts the <em>engine calls</em> made through
 * them, and fails chosen ones.
 *
 * <p><b>Engine calls</b> are the JDBC methods that reach the engine ({@link #ENGINE_METHODS}:
 * prepare, execute, step a result set, commit, roll back); binding parameters, reading columns and
 * closing are passed through uncounted. Each call is seen as a {@link Call}: its number, the
 * connection's index (in the order they were opened: for the SQLite backend the writer is 0,
 * the readers 1…n), the method and the statement's SQL.
 *
 * <p><b>Arming.</b> {@link #arm(long, Fault)} fails the {@code n}-th engine call from now (once);
 * {@link #armFrom(long, Fault, Predicate)} fails the {@code n}-th matching call and every later
 * one until {@link #disarm()} (a disk that stays full). Several rules may be armed at once, each
 * counting its own matching calls. {@link #calls()} counts every engine call since
 * {@link #resetCount()}: a sweep runs a mix of operations once unarmed to learn its call count
 * {@code C}, then for each {@code n} in 1…C and each fault kind arms {@code arm(n, kind)}, runs the
 * mix again and checks its invariants.
 *
 * <p><b>What a fault does</b> is said by its {@link Fault}: the throwable (an
 * {@link SQLException} with or without a SQLite result code, an unchecked exception, an
 * {@link Error}), whether the real call runs first (the engine did the work but the answer is
 * lost), whether the driver finalizes the statement (then every later use of it fails with
 * "statement is not executing" while {@code isClosed()} stays false, as sqlite-jdbc does), and
 * whether the engine rolls back the open transaction before reporting the error (as SQLite does
 * after {@code SQLITE_IOERR}, {@code SQLITE_NOMEM} and most {@code SQLITE_FULL}s).
 * {@link SqliteFault} lists SQLite's kinds.
 *
 * <p><b>Holding.</b> {@link #hold(Predicate)} makes the next matching engine call wait until the
 * returned {@link Gate} is opened, so a test can line up work behind it (e.g. fill the writer's
 * queue for one deterministic group).
 *
 * <p>Only {@code java.sql} and reflection: any JDBC backend's tests can use it. Thread-safe.
 */
final class JdbcFaults implements UnaryOperator<Connection> {

    /** The methods counted as engine calls, on connections, statements and result sets. */
    static final Set<String> ENGINE_METHODS = Set.of("prepareStatement", "prepareCall", "execute", "executeQuery",
            "executeUpdate", "executeLargeUpdate", "executeBatch", "executeLargeBatch", "next", "commit", "rollback",
            "setSavepoint", "releaseSavepoint");

    /**
     * One engine call.
     *
     * @param number its number among all engine calls since {@link #resetCount()} (1 for the first)
     * @param connection the index of its connection, in the order the connections were opened
     * @param method the JDBC method, e.g. {@code executeUpdate}
     * @param sql the SQL of its statement, or null (e.g. {@code Connection.commit()})
     */
    record Call(long number, int connection, String method, String sql) {
        /** Whether the SQL starts with {@code prefix}, ignoring case and leading blanks. */
        boolean sqlStartsWith(String prefix) {
            return sql != null && sql.strip().toUpperCase(Locale.ROOT).startsWith(prefix.toUpperCase(Locale.ROOT));
        }

        @Override
        public String toString() {
            return "#" + number + " conn " + connection + " " + method + (sql == null ? "" : " [" + abbreviate(sql) + "]");
        }

        private static String abbreviate(String sql) {
            String s = sql.strip().replaceAll("\\s+", " ");
            return s.length() > 60 ? s.substring(0, 57) + "..." : s;
        }
    }

    /** Calls on the connection opened {@code index}-th (0 first). */
    static Predicate<Call> onConnection(int index) {
        return c -> c.connection() == index;
    }

    /** Calls whose statement's SQL starts with {@code prefix} (case-insensitive). */
    static Predicate<Call> sql(String prefix) {
        return c -> c.sqlStartsWith(prefix);
    }

    /** Calls of the JDBC method {@code name}. */
    static Predicate<Call> method(String name) {
        return c -> c.method().equals(name);
    }

    /** What an injected fault does. */
    interface Fault {
        /** The throwable the call fails with (an {@link SQLException}, an unchecked exception or an {@link Error}). */
        Throwable error(Call call);

        /** Whether the real call runs before the error is thrown: the engine did the work, its answer is lost. */
        default boolean afterCall() {
            return false;
        }

        /** Whether the driver finalizes the statement: later uses fail, {@code isClosed()} stays false. */
        default boolean finalizesStatement() {
            return false;
        }

        /** Whether the engine rolls back the connection's open transaction before reporting the error. */
        default boolean rollsBackTransaction() {
            return false;
        }
    }

    /** An {@link Error} thrown by an injected fault, told apart from real ones in assertions. */
    static final class InjectedError extends Error {
        private static final long serialVersionUID = 1L;

        InjectedError(String message) {
            super(message);
        }
    }

    /** A held engine call: it waits until {@link #open()}. */
    static final class Gate {
        private final Predicate<Call> where;
        private final CountDownLatch reached = new CountDownLatch(1);
        private final CountDownLatch opened = new CountDownLatch(1);
        private volatile Call call;

        private Gate(Predicate<Call> where) {
            this.where = where;
        }

        /** Waits until a call reached the gate. @return whether one did within {@code timeout} */
        boolean awaitReached(Duration timeout) throws InterruptedException {
            return reached.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        /** The held call (its number is assigned when it goes on), or null if none reached the gate yet. */
        Call call() {
            return call;
        }

        /** Lets the held call (and any later one) go on. */
        void open() {
            opened.countDown();
        }
    }

    private final class Rule {
        final Predicate<Call> where;
        final long nth;
        final boolean sticky;
        final Fault fault;
        long seen;

        Rule(Predicate<Call> where, long nth, boolean sticky, Fault fault) {
            if (nth < 1) {
                throw new IllegalArgumentException("nth must be at least 1, not " + nth);
            }
            this.where = Objects.requireNonNull(where, "where");
            this.nth = nth;
            this.sticky = sticky;
            this.fault = Objects.requireNonNull(fault, "fault");
        }
    }

    private final AtomicInteger connections = new AtomicInteger();
    private final List<Connection> wrapped = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<Rule> rules = new ArrayList<>();
    private final List<Gate> gates = new ArrayList<>();
    private final Deque<Call> recent = new ArrayDeque<>();
    private final List<Call> injectedCalls = new ArrayList<>();
    private long calls;
    private long injected;

    // --- control ---

    /** The {@code nth} engine call from now fails once with {@code fault}. */
    synchronized void arm(long nth, Fault fault) {
        arm(nth, fault, c -> true);
    }

    /** The {@code nth} engine call from now that matches {@code where} fails once with {@code fault}. */
    synchronized void arm(long nth, Fault fault, Predicate<Call> where) {
        rules.add(new Rule(where, nth, false, fault));
    }

    /** The {@code nth} matching engine call from now, and every later matching one until {@link #disarm()}, fail. */
    synchronized void armFrom(long nth, Fault fault, Predicate<Call> where) {
        rules.add(new Rule(where, nth, true, fault));
    }

    /** Removes every armed rule; opens every gate. */
    synchronized void disarm() {
        rules.clear();
        gates.forEach(Gate::open);
        gates.clear();
    }

    /** Whether an armed rule is still waiting for its call (a one-shot rule that has not fired yet, or a sticky one). */
    synchronized boolean armed() {
        return rules.stream().anyMatch(r -> r.sticky || r.seen < r.nth);
    }

    /** The next engine call matching {@code where} waits until the returned gate is opened. */
    synchronized Gate hold(Predicate<Call> where) {
        Gate g = new Gate(where);
        gates.add(g);
        return g;
    }

    /** Engine calls made since {@link #resetCount()} (or since the first connection was wrapped). */
    synchronized long calls() {
        return calls;
    }

    synchronized void resetCount() {
        calls = 0;
    }

    /** Faults injected so far. */
    synchronized long injected() {
        return injected;
    }

    /** The calls that were failed, in order. */
    synchronized List<Call> injectedCalls() {
        return List.copyOf(injectedCalls);
    }

    /** The last engine calls (up to 200), oldest first, for failure messages. */
    synchronized List<Call> recentCalls() {
        return List.copyOf(recent);
    }

    /** Connections wrapped so far. */
    int connectionsOpened() {
        return connections.get();
    }

    /**
     * The wrapped connection opened {@code index}-th (calls through it are counted like any).
     * Only for a test that knows no other thread uses it right now (sqlite-jdbc serializes calls
     * on one connection, but a transaction in progress would see the test's statements).
     */
    Connection connection(int index) {
        return wrapped.get(index);
    }

    // --- the proxies ---

    @Override
    public Connection apply(Connection real) {
        ConnectionHandler handler = new ConnectionHandler(real, connections.getAndIncrement());
        Connection proxy = (Connection) Proxy.newProxyInstance(JdbcFaults.class.getClassLoader(),
                new Class<?>[] {Connection.class}, handler);
        handler.proxy = proxy;
        wrapped.add(proxy);
        return proxy;
    }

    private interface RealCall {
        Object run() throws Throwable;
    }

    /** Runs one engine call: waits at a gate if one holds it, then passes it through or fails it. */
    private Object engineCall(ConnectionHandler conn, StatementHandler stmt, String method, String sql, RealCall real)
            throws Throwable {
        Gate gate = gateFor(conn.index, method, sql);
        if (gate != null) {
            gate.reached.countDown();
            if (!gate.opened.await(5, TimeUnit.MINUTES)) {
                throw new IllegalStateException("a held JDBC call was never released");
            }
        }
        Call call;
        Fault fault = null;
        synchronized (this) {
            call = new Call(++calls, conn.index, method, sql);
            if (gate != null) {
                gate.call = call;
            }
            recent.addLast(call);
            if (recent.size() > 200) {
                recent.removeFirst();
            }
            for (Rule r : rules) {
                if (r.where.test(call)) {
                    r.seen++;
                    if (fault == null && (r.seen == r.nth || (r.sticky && r.seen > r.nth))) {
                        fault = r.fault;
                    }
                }
            }
            if (fault != null) {
                injected++;
                injectedCalls.add(call);
            }
        }
        if (fault == null) {
            return real.run();
        }
        if (fault.afterCall()) {
            try {
                Object result = real.run();
                if (result instanceof AutoCloseable c) {
                    c.close();
                }
            } catch (Throwable ignored) {
                // The answer is lost either way.
            }
        }
        if (fault.finalizesStatement() && stmt != null) {
            stmt.finalizeStatement();
        }
        if (fault.rollsBackTransaction()) {
            conn.rollBackReal();
        }
        throw fault.error(call);
    }

    private synchronized Gate gateFor(int connection, String method, String sql) {
        // The number is not known yet: a gate's predicate sees number 0.
        Call probe = new Call(0, connection, method, sql);
        for (int i = 0; i < gates.size(); i++) {
            Gate g = gates.get(i);
            if (g.where.test(probe)) {
                gates.remove(i);
                return g;
            }
        }
        return null;
    }

    private static Object callReal(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static Object objectMethod(Object proxy, Method method, Object[] args, String name) {
        return switch (method.getName()) {
            case "equals" -> proxy == args[0];
            case "hashCode" -> System.identityHashCode(proxy);
            default -> name;
        };
    }

    private static boolean isObjectMethod(Method method) {
        return method.getDeclaringClass() == Object.class;
    }

    private final class ConnectionHandler implements InvocationHandler {
        final Connection real;
        final int index;
        Connection proxy;

        ConnectionHandler(Connection real, int index) {
            this.real = real;
            this.index = index;
        }

        @Override
        public Object invoke(Object p, Method method, Object[] args) throws Throwable {
            if (isObjectMethod(method)) {
                return objectMethod(p, method, args, "JdbcFaults connection " + index + " over " + real);
            }
            String name = method.getName();
            switch (name) {
                case "unwrap":
                    return ((Class<?>) args[0]).isInstance(p) ? p : real.unwrap((Class<?>) args[0]);
                case "isWrapperFor":
                    return ((Class<?>) args[0]).isInstance(p) || real.isWrapperFor((Class<?>) args[0]);
                case "prepareStatement":
                case "prepareCall": {
                    String sql = (String) args[0];
                    Object ps = engineCall(this, null, name, sql, () -> callReal(real, method, args));
                    return wrapStatement((Statement) ps, sql, method.getReturnType());
                }
                case "createStatement":
                    return wrapStatement((Statement) callReal(real, method, args), null, Statement.class);
                default:
                    if (ENGINE_METHODS.contains(name)) {
                        return engineCall(this, null, name, null, () -> callReal(real, method, args));
                    }
                    return callReal(real, method, args);
            }
        }

        private Object wrapStatement(Statement s, String sql, Class<?> type) {
            StatementHandler h = new StatementHandler(s, sql, this);
            Class<?> iface = type.isInterface() ? type : Statement.class;
            Object proxy = Proxy.newProxyInstance(JdbcFaults.class.getClassLoader(), new Class<?>[] {iface}, h);
            h.proxy = (Statement) proxy;
            return proxy;
        }

        /** Rolls the real connection's transaction back, as the engine does after some errors (not counted). */
        void rollBackReal() {
            try (Statement s = real.createStatement()) {
                s.execute("ROLLBACK");
            } catch (SQLException e) {
                // No transaction was open.
            }
        }
    }

    private final class StatementHandler implements InvocationHandler {
        final Statement real;
        final String sql;
        final ConnectionHandler conn;
        Statement proxy;
        /** Finalized by an injected fault: unusable, yet isClosed() answers false (as in sqlite-jdbc). */
        volatile boolean finalized;

        StatementHandler(Statement real, String sql, ConnectionHandler conn) {
            this.real = real;
            this.sql = sql;
            this.conn = conn;
        }

        void finalizeStatement() {
            if (!finalized) {
                finalized = true;
                try {
                    real.close();
                } catch (SQLException e) {
                    // Gone either way.
                }
            }
        }

        @Override
        public Object invoke(Object p, Method method, Object[] args) throws Throwable {
            if (isObjectMethod(method)) {
                return objectMethod(p, method, args, "JdbcFaults statement [" + sql + "] over " + real);
            }
            String name = method.getName();
            if (finalized) {
                switch (name) {
                    case "close":
                        return null;
                    case "isClosed":
                        return false;
                    default:
                        throw new SQLException("statement is not executing");
                }
            }
            switch (name) {
                case "unwrap":
                    return ((Class<?>) args[0]).isInstance(p) ? p : real.unwrap((Class<?>) args[0]);
                case "isWrapperFor":
                    return ((Class<?>) args[0]).isInstance(p) || real.isWrapperFor((Class<?>) args[0]);
                case "getConnection":
                    return conn.proxy;
                case "getResultSet": {
                    ResultSet rs = (ResultSet) callReal(real, method, args);
                    return rs == null ? null : wrapResultSet(rs);
                }
                default:
                    break;
            }
            if (ENGINE_METHODS.contains(name)) {
                String callSql = args != null && args.length > 0 && args[0] instanceof String s ? s : sql;
                Object result = engineCall(conn, this, name, callSql, () -> callReal(real, method, args));
                return result instanceof ResultSet rs ? wrapResultSet(rs) : result;
            }
            return callReal(real, method, args);
        }

        private ResultSet wrapResultSet(ResultSet rs) {
            return (ResultSet) Proxy.newProxyInstance(JdbcFaults.class.getClassLoader(), new Class<?>[] {ResultSet.class},
                    new ResultSetHandler(rs, this));
        }
    }

    private final class ResultSetHandler implements InvocationHandler {
        final ResultSet real;
        final StatementHandler statement;

        ResultSetHandler(ResultSet real, StatementHandler statement) {
            this.real = real;
            this.statement = statement;
        }

        @Override
        public Object invoke(Object p, Method method, Object[] args) throws Throwable {
            if (isObjectMethod(method)) {
                return objectMethod(p, method, args, "JdbcFaults result set over " + real);
            }
            String name = method.getName();
            if (statement.finalized && !name.equals("close") && !name.equals("isClosed")) {
                throw new SQLException("statement is not executing");
            }
            switch (name) {
                case "getStatement":
                    return statement.proxy;
                case "unwrap":
                    return ((Class<?>) args[0]).isInstance(p) ? p : real.unwrap((Class<?>) args[0]);
                case "isWrapperFor":
                    return ((Class<?>) args[0]).isInstance(p) || real.isWrapperFor((Class<?>) args[0]);
                case "next":
                    return engineCall(statement.conn, statement, name, statement.sql, () -> callReal(real, method, args));
                default:
                    return callReal(real, method, args);
            }
        }
    }
}
