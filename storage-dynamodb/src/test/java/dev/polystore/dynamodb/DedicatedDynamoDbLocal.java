package dev.polystore.dynamodb;

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import dev.polystore.testkit.net.Ports;
import java.net.URI;
import java.nio.file.Path;

/**
 * A DynamoDB Local server of one test's own (not the run's shared one), so the test may stop
 * and restart it. It keeps its data in one file under {@code dataDir} ({@code -sharedDb -dbPath},
 * DynamoDB Local 2.6.1's options), so tables and items survive a restart on the same directory.
 */
final class DedicatedDynamoDbLocal {
    private final DynamoDBProxyServer server;
    private final int port;

    private DedicatedDynamoDbLocal(DynamoDBProxyServer server, int port) {
        this.server = server;
        this.port = port;
    }

    /** Starts on {@code port}, or fails with the server's exception (e.g. the port is taken). */
    static DedicatedDynamoDbLocal start(int port, Path dataDir) throws Exception {
        DynamoDBProxyServer server = ServerRunner.createServerFromCommandLineArgs(new String[] {
                "-sharedDb", "-dbPath", dataDir.toString(), "-port", String.valueOf(port), "-disableTelemetry"});
        try {
            server.start();
        } catch (Exception e) {
            try {
                server.stop();
            } catch (Exception stop) {
                e.addSuppressed(stop);
            }
            throw e;
        }
        return new DedicatedDynamoDbLocal(server, port);
    }

    /**
     * Starts on a probed free loopback port below the ephemeral range (the server is restarted on
     * it while clients reconnect: see {@link Ports#restartable()}), trying another if the probed
     * one is taken first.
     */
    static DedicatedDynamoDbLocal startOnFreePort(Path dataDir) throws Exception {
        Exception last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                return start(Ports.restartable(), dataDir);
            } catch (Exception e) {
                last = e;
            }
        }
        throw new IllegalStateException("no free port for a dedicated DynamoDB Local", last);
    }

    int port() {
        return port;
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /**
     * Stops the HTTP server and closes the database, as a process being killed would stop
     * serving. (DynamoDB Local's background job threads stay asleep until the test JVM exits;
     * they are not interrupted here because the shared server's jobs run in the same JVM.)
     */
    void stop() throws Exception {
        server.stop();
    }
}
