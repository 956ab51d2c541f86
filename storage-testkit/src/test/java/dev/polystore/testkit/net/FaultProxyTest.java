package dev.polystore.testkit.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FaultProxyTest {
    private ServerSocket echo;
    private FaultProxy proxy;
    private final AtomicInteger received = new AtomicInteger();

    @BeforeEach
    void startEcho() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    Thread c = new Thread(() -> {
                        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                            byte[] b = new byte[1024];
                            for (int n; (n = in.read(b)) > 0; ) {
                                received.addAndGet(n);
                                out.write(b, 0, n);
                                out.flush();
                            }
                        } catch (IOException ignored) {
                            // connection reset by the proxy
                        }
                    });
                    c.setDaemon(true);
                    c.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        proxy = FaultProxy.start("127.0.0.1", echo.getLocalPort());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        echo.close();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket(proxy.host(), proxy.port());
        s.setSoTimeout(2_000);
        return s;
    }

    private static byte[] roundTrip(Socket s, String text) throws IOException {
        byte[] sent = text.getBytes(StandardCharsets.UTF_8);
        s.getOutputStream().write(sent);
        s.getOutputStream().flush();
        return s.getInputStream().readNBytes(sent.length);
    }

    @Test
    void forwardsBothWays() throws IOException {
        try (Socket s = connect()) {
            assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), roundTrip(s, "hello"));
        }
        assertEquals(1, proxy.connectionsAccepted());
    }

    @Test
    void holdKeepsTheConnectionOpenAndSilentThenHealDeliversIt() throws IOException {
        try (Socket s = connect()) {
            proxy.hold();
            s.getOutputStream().write('x');
            s.getOutputStream().flush();
            s.setSoTimeout(300);
            assertThrows(SocketTimeoutException.class, () -> s.getInputStream().read(), "a held path answers nothing");
            proxy.heal();
            s.setSoTimeout(2_000);
            assertEquals('x', s.getInputStream().read());
        }
    }

    @Test
    void cutBeforeNeverDeliversAndCutAfterDeliversWithoutAnswer() throws Exception {
        proxy.onUpstream(FaultProxy.onceWhenContains("COMMIT".getBytes(StandardCharsets.UTF_8), FaultProxy.Action.CUT_BEFORE));
        try (Socket s = connect()) {
            assertThrows(IOException.class, () -> {
                roundTrip(s, "COMMIT");
                if (s.getInputStream().read() < 0) {
                    throw new IOException("closed");
                }
            });
        }
        assertEquals(0, received.get(), "a chunk cut before was never delivered");
        proxy.onDownstream(FaultProxy.onceWhenContains("ABORT".getBytes(StandardCharsets.UTF_8), FaultProxy.Action.CUT_BEFORE));
        try (Socket s = connect()) {
            s.getOutputStream().write("ABORT".getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            int r;
            try {
                r = s.getInputStream().read();
            } catch (IOException reset) {
                r = -1;
            }
            assertEquals(-1, r, "the answer was cut");
        }
        for (int i = 0; i < 100 && received.get() < 5; i++) {
            Thread.sleep(20);
        }
        assertEquals(5, received.get(), "the request itself arrived");
    }

    @Test
    void refusedConnectionsAreReset() throws IOException {
        proxy.refuseNew(true);
        try (Socket s = connect()) {
            assertThrows(IOException.class, () -> {
                if (roundTrip(s, "x").length == 0 || s.getInputStream().read() < 0) {
                    throw new IOException("closed");
                }
            });
        }
        proxy.heal();
        try (Socket s = connect()) {
            assertTrue(roundTrip(s, "ok").length == 2);
        }
    }
}
