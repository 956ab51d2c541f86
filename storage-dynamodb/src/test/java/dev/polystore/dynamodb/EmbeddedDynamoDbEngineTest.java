package dev.polystore.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import dev.polystore.testkit.engines.EmbeddedEngine;
import dev.polystore.testkit.engines.EmbeddedEngines;

/** The testkit's embedded DynamoDB Local engine (the quickstart's {@code -Dengine=dynamodb}), tested where DynamoDB Local is on the class path. */
class EmbeddedDynamoDbEngineTest {

    @Test
    @DisplayName("DynamoDB Local starts on a loopback endpoint, answers through the endpoint it overrides, and stops without leaving a thread behind")
    void dynamoDbLocal() throws Exception {
        URI endpoint;
        try (EmbeddedEngine engine = EmbeddedEngines.start("dynamodb")) {
            assertEquals("dynamodb", engine.backend());
            assertEquals(Set.of("dynamodb.endpoint"), engine.overrides().keySet());
            endpoint = URI.create(engine.overrides().get("dynamodb.endpoint"));
            assertEquals("127.0.0.1", endpoint.getHost());
            // DynamoDB Local answers a ListTables call (the kit has no DynamoDB backend; the quickstart test uses it).
            // java.net.HttpURLConnection (java.base): the testkit module does not read java.net.http.
            java.net.HttpURLConnection http = (java.net.HttpURLConnection) endpoint.toURL().openConnection();
            http.setRequestMethod("POST");
            http.setDoOutput(true);
            http.setRequestProperty("Content-Type", "application/x-amz-json-1.0");
            http.setRequestProperty("X-Amz-Target", "DynamoDB_20120810.ListTables");
            http.setRequestProperty("Authorization", "AWS4-HMAC-SHA256 Credential=local/20250101/us-east-1/dynamodb/aws4_request, "
                    + "SignedHeaders=host, Signature=0");
            try (java.io.OutputStream out = http.getOutputStream()) {
                out.write("{}".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            int status = http.getResponseCode();
            String body;
            try (java.io.InputStream in = status < 400 ? http.getInputStream() : http.getErrorStream()) {
                body = in == null ? "" : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            }
            assertTrue(body.contains("TableNames"), status + " " + body);
            List<InetAddress> others = nonLoopbackAddresses();
            Assumptions.assumeFalse(others.isEmpty(), "this machine has no non-loopback IPv4 address to check the binding on");
            for (InetAddress address : others) {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress(address, endpoint.getPort()), 5_000);
                    throw new AssertionError("DynamoDB Local answers on " + address.getHostAddress() + ":" + endpoint.getPort()
                            + "; it should listen on the loopback interface only");
                } catch (ConnectException expected) {
                    // refused: nothing listens there
                }
            }
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", endpoint.getPort()), 5_000);
            throw new AssertionError("DynamoDB Local still listens after close()");
        } catch (ConnectException expected) {
            // stopped
        }
        // close() interrupts DynamoDB Local's job threads; each must then end (a generous bound, not a speed check).
        for (var e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            if (!t.isDaemon() && java.util.Arrays.stream(e.getValue())
                    .anyMatch(f -> f.getClassName().startsWith("com.amazonaws.services.dynamodbv2.local."))) {
                t.join(30_000);
                assertTrue(!t.isAlive(), "a non-daemon DynamoDB Local thread outlives close() and would keep a JVM alive: "
                        + t.getName() + " " + java.util.Arrays.toString(t.getStackTrace()));
            }
        }
    }

    private static List<InetAddress> nonLoopbackAddresses() throws IOException {
        List<InetAddress> out = new ArrayList<>();
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nic.isUp() && !nic.isLoopback()) {
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (a instanceof Inet4Address) {
                        out.add(a);
                    }
                }
            }
        }
        return out;
    }
}
