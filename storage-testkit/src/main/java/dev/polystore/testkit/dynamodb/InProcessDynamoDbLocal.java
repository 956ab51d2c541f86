package dev.polystore.testkit.dynamodb;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DynamoDB Local in this JVM ({@code com.amazonaws:DynamoDBLocal}), in memory, telemetry off, on
 * a free port found by probing the loopback interface. DynamoDB Local is called by reflection
 * (its jar is a test-scoped class path dependency of the backend's tests, and no Java module the
 * testkit's {@code module-info} could name), so the testkit compiles and loads without it.
 *
 * <p>DynamoDB Local has no option for the address it binds and would listen on every
 * interface; its Jetty connector is set to {@code 127.0.0.1} before it starts (see
 * {@link #bindLoopback}), and where a DynamoDB Local version does not allow that it keeps
 * listening on every interface, logged at debug level. The endpoint handed out is always
 * {@code 127.0.0.1}.
 */
final class InProcessDynamoDbLocal implements DynamoDbLocal, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InProcessDynamoDbLocal.class);
    /** Attempts to start on a probed port; another process may take a probed port first. */
    private static final int START_ATTEMPTS = 5;

    /** Package of DynamoDB Local's background jobs (TTL deletion, shard rollover, ...). */
    private static final String JOBS_PACKAGE = "com.amazonaws.services.dynamodbv2.local.shared.jobs.";
    /** DynamoDB Local's entry point, {@code ServerRunner.createServerFromCommandLineArgs(String[])}. */
    private static final String SERVER_RUNNER = "com.amazonaws.services.dynamodbv2.local.main.ServerRunner";

    /** A {@code com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer}. */
    private final Object server;
    private final URI endpoint;

    private InProcessDynamoDbLocal(Object server, int port) {
        this.server = server;
        this.endpoint = URI.create("http://127.0.0.1:" + port);
    }

    static InProcessDynamoDbLocal start() {
        Exception last = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            int port = freeLoopbackPort();
            Object server = null;
            try {
                server = Class.forName(SERVER_RUNNER, true, InProcessDynamoDbLocal.class.getClassLoader())
                        .getMethod("createServerFromCommandLineArgs", String[].class)
                        .invoke(null, (Object) new String[] {"-inMemory", "-port", String.valueOf(port), "-disableTelemetry"});
                bindLoopback(server);
                call(server, "start");
                InProcessDynamoDbLocal local = new InProcessDynamoDbLocal(server, port);
                LOG.info("DynamoDB Local started in-process at {}", local.endpoint);
                return local;
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("DynamoDB Local is not on the test class path: add "
                        + "com.amazonaws:DynamoDBLocal in test scope", e);
            } catch (Exception e) {
                // Most likely the probed port was taken between the probe and the bind: try another.
                LOG.debug("DynamoDB Local did not start on port {} (attempt {} of {})", port, attempt, START_ATTEMPTS, e);
                last = e;
                if (server != null) {
                    stopQuietly(server);
                }
            }
        }
        throw new IllegalStateException("DynamoDB Local did not start in-process after " + START_ATTEMPTS
                + " attempts on free loopback ports", last);
    }

    @Override
    public URI endpoint() {
        return endpoint;
    }

    @Override
    public DynamoDbLocalExtension.Mode mode() {
        return DynamoDbLocalExtension.Mode.IN_PROCESS;
    }

    @Override
    public void close() {
        stopQuietly(server);
        // stop() shuts the job pool down but leaves its background jobs sleeping in loops on
        // non-daemon threads, which would keep a plain JVM alive. Interrupting a job ends it,
        // and its pool thread with it; only threads running DynamoDB Local's jobs are touched.
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            if (runsJob(e.getValue())) {
                LOG.debug("Interrupting DynamoDB Local job thread {} left after stop()", e.getKey().getName());
                e.getKey().interrupt();
            }
        }
        LOG.info("DynamoDB Local at {} stopped", endpoint);
    }

    /**
     * Sets the host of DynamoDB Local's Jetty connectors to the loopback address. DynamoDB Local
     * builds its Jetty server, unstarted, in {@code createServerFromCommandLineArgs} and keeps it
     * in a private field {@code server}; a connector's host may be set until it opens. Reflective,
     * like every call to DynamoDB Local here. Returns whether it could.
     */
    static boolean bindLoopback(Object server) {
        try {
            Field field = server.getClass().getDeclaredField("server");
            field.setAccessible(true);
            Object jetty = field.get(server);
            boolean bound = false;
            for (Object connector : (Object[]) jetty.getClass().getMethod("getConnectors").invoke(jetty)) {
                try {
                    connector.getClass().getMethod("setHost", String.class)
                            .invoke(connector, InetAddress.getLoopbackAddress().getHostAddress());
                    bound = true;
                } catch (NoSuchMethodException notNetwork) {
                    // not a network connector
                }
            }
            return bound;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.debug("Could not bind DynamoDB Local to the loopback interface; it listens on every interface", e);
            return false;
        }
    }

    /** Calls the public no-argument method {@code name} of DynamoDB Local's server, unwrapping its exception. */
    private static void call(Object server, String name) throws Exception {
        try {
            server.getClass().getMethod(name).invoke(server);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    private static void stopQuietly(Object server) {
        try {
            call(server, "stop");
        } catch (Exception e) {
            LOG.warn("Stopping DynamoDB Local failed", e);
        }
    }

    private static boolean runsJob(StackTraceElement[] stack) {
        for (StackTraceElement frame : stack) {
            if (frame.getClassName().startsWith(JOBS_PACKAGE)) {
                return true;
            }
        }
        return false;
    }

    /** A port nothing listens on at probe time, on the loopback interface. */
    static int freeLoopbackPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("could not probe a free loopback port", e);
        }
    }
}
