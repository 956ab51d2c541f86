package dev.polystore.benchmarks;

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Map;

/**
 * DynamoDB Local in this JVM, in memory, telemetry off, on a free port probed on the loopback
 * interface — started the way the testkit's fixture starts it. Clients only ever talk to
 * {@code 127.0.0.1}. (DynamoDB Local binds every interface; it has no option to bind loopback only.)
 */
public final class DynamoDbLocalServer implements AutoCloseable {
    private static final String JOBS_PACKAGE = "com.amazonaws.services.dynamodbv2.local.shared.jobs.";

    private final DynamoDBProxyServer server;
    private final String endpoint;

    private DynamoDbLocalServer(DynamoDBProxyServer server, int port) {
        this.server = server;
        this.endpoint = "http://127.0.0.1:" + port;
    }

    public static DynamoDbLocalServer start() {
        Exception last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            int port = freeLoopbackPort();
            try {
                DynamoDBProxyServer server = ServerRunner.createServerFromCommandLineArgs(
                        new String[] {"-inMemory", "-port", String.valueOf(port), "-disableTelemetry"});
                server.start();
                return new DynamoDbLocalServer(server, port);
            } catch (Exception e) {
                last = e; // most likely the port was taken after the probe: try another
            }
        }
        throw new IllegalStateException("DynamoDB Local did not start", last);
    }

    public String endpoint() {
        return endpoint;
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("stopping DynamoDB Local failed", e);
        } finally {
            // stop() leaves its background jobs looping on non-daemon threads; end them.
            for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                for (StackTraceElement frame : e.getValue()) {
                    if (frame.getClassName().startsWith(JOBS_PACKAGE)) {
                        e.getKey().interrupt();
                        break;
                    }
                }
            }
        }
    }

    private static int freeLoopbackPort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free loopback port", e);
        }
    }
}
