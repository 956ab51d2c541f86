package dev.polystore.testkit.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-process TCP proxy on loopback that stages network faults between a client and an
 * engine: a path that stops answering (a hung load balancer, a half-open connection), cut
 * connections, refused connections, and cuts placed exactly before or after a chosen chunk of
 * traffic (a request that never reached the engine, or one whose response was lost). Network
 * backends' tests point their client at {@link #port()} instead of the engine.
 *
 * <p>Rules see every chunk as it is read, in each direction, and decide its fate
 * ({@link Action}); by default every chunk is forwarded. Thread-safe; one daemon thread
 * accepts, two per connection pump bytes.
 */
public final class FaultProxy implements AutoCloseable {

    /** What happens to one chunk of traffic. */
    public enum Action {
        /** Forward it (waiting while the proxy {@linkplain #hold() holds}). */
        FORWARD,
        /** Swallow it and every later byte of this connection, keeping the connection open: a hung path. */
        HOLD_CONNECTION,
        /** Reset the connection without forwarding the chunk: it never reaches the other side. */
        CUT_BEFORE,
        /** Forward the chunk, then reset the connection: it arrives, but nothing comes back. */
        CUT_AFTER
    }

    /** Decides the fate of a chunk read from one side. */
    @FunctionalInterface
    public interface Rule {
        /**
         * @param connection the connection's number, from 1 in the order accepted
         * @param chunk the bytes read (a copy; at most 64 KiB)
         */
        Action apply(int connection, byte[] chunk);

        /** Forwards everything. */
        Rule FORWARD_ALL = (connection, chunk) -> Action.FORWARD;
    }

    private final String targetHost;
    private final int targetPort;
    private final ServerSocket listener;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicLong bytesUp = new AtomicLong();
    private final AtomicLong bytesDown = new AtomicLong();
    private final Object holdLock = new Object();
    private volatile boolean held;
    private volatile boolean refusing;
    private volatile boolean closed;
    private volatile Rule upstream = Rule.FORWARD_ALL;
    private volatile Rule downstream = Rule.FORWARD_ALL;

    private FaultProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = Objects.requireNonNull(targetHost, "targetHost");
        this.targetPort = targetPort;
        this.listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread acceptor = new Thread(this::acceptLoop, "fault-proxy-accept-" + listener.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Starts a proxy on a free loopback port, forwarding to {@code targetHost:targetPort}. */
    public static FaultProxy start(String targetHost, int targetPort) {
        try {
            return new FaultProxy(targetHost, targetPort);
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the fault proxy", e);
        }
    }

    /** The loopback port clients connect to. */
    public int port() {
        return listener.getLocalPort();
    }

    /** The loopback host clients connect to ({@code 127.0.0.1}). */
    public String host() {
        return InetAddress.getLoopbackAddress().getHostAddress();
    }

    /** Forwards again: releases a {@link #hold()}, accepts new connections, resets both rules. */
    public void heal() {
        refusing = false;
        upstream = Rule.FORWARD_ALL;
        downstream = Rule.FORWARD_ALL;
        synchronized (holdLock) {
            held = false;
            holdLock.notifyAll();
        }
    }

    /**
     * Stops forwarding in both directions on every connection, open or new, while keeping them
     * open: the client's requests are accepted by TCP and never answered, as with a hung load
     * balancer. Bytes read meanwhile are delivered if the proxy {@linkplain #heal() heals}.
     */
    public void hold() {
        held = true;
    }

    /** Resets every open connection (the client sees a connection reset). */
    public void cutAll() {
        for (Link link : links) {
            link.close();
        }
    }

    /** While on, every new connection is reset as soon as it is accepted. */
    public void refuseNew(boolean refuse) {
        this.refusing = refuse;
    }

    /** The rule for chunks from the client to the engine. */
    public void onUpstream(Rule rule) {
        this.upstream = Objects.requireNonNull(rule, "rule");
    }

    /** The rule for chunks from the engine to the client. */
    public void onDownstream(Rule rule) {
        this.downstream = Objects.requireNonNull(rule, "rule");
    }

    /** Connections accepted so far. */
    public int connectionsAccepted() {
        return accepted.get();
    }

    /** Connections currently open. */
    public int openConnections() {
        return links.size();
    }

    /** Bytes forwarded from clients to the engine. */
    public long bytesUp() {
        return bytesUp.get();
    }

    /** Bytes forwarded from the engine to clients. */
    public long bytesDown() {
        return bytesDown.get();
    }

    /** A rule that applies {@code action} to the first chunk containing {@code marker} (once), forwarding the rest. */
    public static Rule onceWhenContains(byte[] marker, Action action) {
        AtomicInteger fired = new AtomicInteger();
        return (connection, chunk) -> indexOf(chunk, marker) >= 0 && fired.compareAndSet(0, 1) ? action : Action.FORWARD;
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        cutAll();
        heal();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            int number = accepted.incrementAndGet();
            if (refusing) {
                reset(client);
                continue;
            }
            Socket server = new Socket();
            try {
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                server.connect(new InetSocketAddress(targetHost, targetPort), 5_000);
            } catch (IOException e) {
                reset(client);
                closeQuietly(server);
                continue;
            }
            Link link = new Link(number, client, server);
            links.add(link);
            link.start();
        }
    }

    private void awaitNotHeld(Link link) throws InterruptedException {
        synchronized (holdLock) {
            while (held && !link.closed && !closed) {
                holdLock.wait(50);
            }
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0); // RST instead of FIN
        } catch (SocketException ignored) {
            // best effort
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private final class Link {
        final int number;
        final Socket client;
        final Socket server;
        volatile boolean closed;
        volatile boolean swallowing;

        Link(int number, Socket client, Socket server) {
            this.number = number;
            this.client = client;
            this.server = server;
        }

        void start() {
            pump(client, server, true);
            pump(server, client, false);
        }

        private void pump(Socket from, Socket to, boolean up) {
            Thread t = new Thread(() -> {
                byte[] buffer = new byte[64 * 1024];
                try (InputStream in = from.getInputStream()) {
                    OutputStream out = to.getOutputStream();
                    while (!closed) {
                        int n = in.read(buffer);
                        if (n < 0) {
                            try {
                                to.shutdownOutput();
                            } catch (IOException ignored) {
                                // the other side is gone too
                            }
                            return;
                        }
                        if (swallowing) {
                            continue;
                        }
                        byte[] chunk = Arrays.copyOf(buffer, n);
                        Action action = (up ? upstream : downstream).apply(number, chunk);
                        switch (action) {
                            case HOLD_CONNECTION -> swallowing = true;
                            case CUT_BEFORE -> {
                                close();
                                return;
                            }
                            case FORWARD, CUT_AFTER -> {
                                awaitNotHeld(this);
                                if (closed) {
                                    return;
                                }
                                out.write(chunk);
                                out.flush();
                                (up ? bytesUp : bytesDown).addAndGet(n);
                                if (action == Action.CUT_AFTER) {
                                    close();
                                    return;
                                }
                            }
                        }
                    }
                } catch (IOException e) {
                    close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    close();
                }
            }, "fault-proxy-" + number + (up ? "-up" : "-down"));
            t.setDaemon(true);
            t.start();
        }

        void close() {
            if (!closed) {
                closed = true;
                links.remove(this);
                reset(client);
                reset(server);
            }
        }
    }
}
