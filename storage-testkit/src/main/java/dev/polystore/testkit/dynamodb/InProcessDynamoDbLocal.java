package dev.polystore.testkit.dynamodb;

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.Map;
import org.eclipse.jetty.server.AbstractNetworkConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DynamoDB Local in this JVM ({@code com.amazonaws:DynamoDBLocal}), in memory, telemetry off, on
 * a free port found by probing the loopback interface. Only this class names DynamoDB Local's
 * classes, so the rest of the testkit loads without it.
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

    private final DynamoDBProxyServer server;
    private final URI endpoint;

    private InProcessDynamoDbLocal(DynamoDBProxyServer server, int port) {
        this.server = server;
        this.endpoint = URI.create("http://127.0.0.1:" + port);
    }

    static InProcessDynamoDbLocal start() {
        Exception last = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            int port = freeLoopbackPort();
            DynamoDBProxyServer server = null;
            try {
                server = ServerRunner.createServerFromCommandLineArgs(
                        new String[] {"-inMemory", "-port", String.valueOf(port), "-disableTelemetry"});
                bindLoopback(server);
                server.start();
                InProcessDynamoDbLocal local = new InProcessDynamoDbLocal(server, port);
                LOG.info("DynamoDB Local started in-process at {}", local.endpoint);
                return local;
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
     * in a private field; a connector's host may be set until it opens. Returns whether it could.
     */
    static boolean bindLoopback(DynamoDBProxyServer server) {
        try {
            Field field = DynamoDBProxyServer.class.getDeclaredField("server");
            field.setAccessible(true);
            boolean bound = false;
            for (Connector connector : ((Server) field.get(server)).getConnectors()) {
                if (connector instanceof AbstractNetworkConnector network) {
                    network.setHost(InetAddress.getLoopbackAddress().getHostAddress());
                    bound = true;
                }
            }
            return bound;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.debug("Could not bind DynamoDB Local to the loopback interface; it listens on every interface", e);
            return false;
        }
    }

    private static void stopQuietly(DynamoDBProxyServer server) {
        try {
            server.stop();
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
