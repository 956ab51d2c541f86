package dev.polystore.testkit.net;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports for test servers.
 *
 * <p>A server that a test kills and restarts on the same port must not listen on a port of the
 * kernel's ephemeral range. While it is down, clients keep reconnecting to it, and a connecting
 * socket whose kernel-chosen local port happens to be the server's port connects to itself
 * (TCP simultaneous open); that socket then holds the port and the restarted server cannot bind
 * it. {@link #restartable()} picks a free port below the ephemeral range, which the kernel never
 * hands out to connecting sockets.
 */
public final class Ports {
    /** Where Linux keeps its ephemeral range ("low high"). */
    private static final Path EPHEMERAL_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    /** The IANA dynamic range's start, the default elsewhere and when the range cannot be read. */
    private static final int DEFAULT_EPHEMERAL_LOW = 32768;
    /** The lowest port handed out: above the well-known and most registered service ports. */
    private static final int LOWEST = 10000;

    private Ports() {
    }

    /** A free loopback port from the kernel's ephemeral range, for a server started once. */
    public static int ephemeral() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("could not probe a free loopback port", e);
        }
    }

    /**
     * A free loopback port below the kernel's ephemeral range, for a server that is restarted on
     * the same port while its clients reconnect (see the class comment). Free when probed; a caller
     * that fails to bind it should ask again.
     */
    public static int restartable() {
        return restartable(0);
    }

    /**
     * A free loopback port {@code p} below the kernel's ephemeral range such that {@code p + offset}
     * is free and below that range too: for a server that also listens on a second port at a fixed
     * offset (a Redis Cluster node's bus port is its port + 10000), which a connecting socket must
     * not take either. {@code offset} 0 is {@link #restartable()}.
     *
     * @throws IllegalArgumentException if {@code offset} is negative
     */
    public static int restartable(int offset) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset " + offset + " < 0");
        }
        int high = ephemeralLow() - 1 - offset;
        if (high <= LOWEST) {
            if (offset == 0) {
                return ephemeral(); // an unusual range: nothing below it to choose from
            }
            throw new IllegalStateException("no port below the ephemeral range (from " + ephemeralLow()
                    + ") leaves room for a second port at +" + offset);
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = LOWEST + random.nextInt(high - LOWEST + 1);
            if (free(port) && (offset == 0 || free(port + offset))) {
                return port;
            }
        }
        throw new IllegalStateException("no free loopback port between " + LOWEST + " and " + high
                + (offset == 0 ? "" : " with port + " + offset + " free too") + " after 100 tries");
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    /** The lower bound of the ephemeral range. */
    static int ephemeralLow() {
        // Read as a line: some kernels report a size for /proc files that cuts a whole-file read short.
        try (BufferedReader reader = Files.newBufferedReader(EPHEMERAL_RANGE, StandardCharsets.US_ASCII)) {
            String line = reader.readLine();
            int low = Integer.parseInt(line.trim().split("\\s+")[0]);
            return low > 1024 ? low : DEFAULT_EPHEMERAL_LOW;
        } catch (IOException | RuntimeException e) {
            return DEFAULT_EPHEMERAL_LOW;
        }
    }
}
