package dev.polystore.testkit.net;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class PortsTest {
    @Test
    void restartablePortsAreFreeAndBelowTheEphemeralRange() throws Exception {
        int low = Ports.ephemeralLow();
        for (int i = 0; i < 50; i++) {
            int port = Ports.restartable();
            assertTrue(port >= 10000 && port < low, port + " is not in [10000, " + low + ")");
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            }
        }
    }

    @Test
    void aPortWithASecondPortAtAnOffsetHasBothFreeAndBelowTheEphemeralRange() throws Exception {
        int low = Ports.ephemeralLow();
        for (int i = 0; i < 50; i++) {
            int port = Ports.restartable(10000);
            assertTrue(port >= 10000 && port + 10000 < low, port + " + 10000 is not below " + low);
            try (ServerSocket a = new ServerSocket(); ServerSocket b = new ServerSocket()) {
                a.setReuseAddress(true);
                b.setReuseAddress(true);
                a.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
                b.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port + 10000), 1);
            }
        }
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Ports.restartable(-1));
    }

    @Test
    void aTakenPortIsNotHandedOut() throws Exception {
        // Hold many ports of the range; none of them may come back while held.
        java.util.List<ServerSocket> held = new java.util.ArrayList<>();
        java.util.Set<Integer> heldPorts = new java.util.HashSet<>();
        try {
            for (int i = 0; i < 200; i++) {
                int port = Ports.restartable();
                ServerSocket s = new ServerSocket();
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
                held.add(s);
                assertTrue(heldPorts.add(port), "port " + port + " was handed out while held");
            }
        } finally {
            for (ServerSocket s : held) {
                s.close();
            }
        }
    }
}
