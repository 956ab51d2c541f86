package dev.polystore.redis;

import dev.polystore.ConfigurationException;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.MaintNotificationsConfig;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The one Lettuce connection a backend shares between all its callers (nothing here relies on
 * {@code MULTI}/{@code WATCH} or other connection state: every atomic step is one script), for
 * a standalone server, a Sentinel-managed master or a Redis Cluster.
 *
 * <p>Client options: auto-reconnect on (commands in flight when a connection drops are sent again
 * after the reconnect — at-least-once, which the write ids of {@link Scripts} make safe); every
 * command fails after {@code command_timeout_ms}; TCP keep-alive; connect timeout
 * {@code connect_timeout_ms}.
 */
abstract class Connections implements AutoCloseable {
    /** One upstream node, for reading its settings. */
    record Node(String label, RedisClusterAsyncCommands<byte[], byte[]> commands) {
    }

    final ClientResources resources;

    private Connections(ClientResources resources) {
        this.resources = resources;
    }

    /** The shared command interface (cluster-aware in Cluster mode). */
    abstract RedisClusterAsyncCommands<byte[], byte[]> commands();

    /** The upstream (master) nodes whose persistence settings count. */
    abstract List<Node> upstreams();

    /** Closes the connection (commands still pending fail) and the client. */
    @Override
    public abstract void close();

    static Connections open(RedisSettings s) {
        ClientResources resources = DefaultClientResources.builder().build();
        try {
            if (s.mode() == RedisSettings.Mode.CLUSTER) {
                return new Cluster(resources, s);
            }
            return new Single(resources, s);
        } catch (RuntimeException e) {
            resources.shutdown(0, 2, TimeUnit.SECONDS);
            throw e;
        }
    }

    private static RedisURI uri(RedisSettings s, RedisSettings.Node node) {
        RedisURI.Builder b = RedisURI.Builder.redis(node.host(), node.port());
        return finish(b, s);
    }

    private static RedisURI sentinelUri(RedisSettings s) {
        RedisURI.Builder b = null;
        for (RedisSettings.Node n : s.nodes()) {
            if (b == null) {
                b = s.sentinelPassword() == null ? RedisURI.Builder.sentinel(n.host(), n.port(), s.sentinelMaster())
                        : RedisURI.Builder.sentinel(n.host(), n.port(), s.sentinelMaster(), s.sentinelPassword());
            } else if (s.sentinelPassword() == null) {
                b.withSentinel(n.host(), n.port());
            } else {
                b.withSentinel(n.host(), n.port(), s.sentinelPassword());
            }
        }
        return finish(b, s);
    }

    private static RedisURI finish(RedisURI.Builder b, RedisSettings s) {
        b.withTimeout(s.commandTimeout()).withClientName("polystore");
        if (s.mode() != RedisSettings.Mode.CLUSTER) {
            b.withDatabase(s.database());
        }
        if (s.password() != null) {
            if (s.username() != null) {
                b.withAuthentication(s.username(), s.password());
            } else {
                b.withPassword(s.password().toCharArray());
            }
        }
        if (s.tls()) {
            b.withSsl(true).withVerifyPeer(switch (s.tlsVerify()) {
                case FULL -> SslVerifyMode.FULL;
                case CA -> SslVerifyMode.CA;
                case NONE -> SslVerifyMode.NONE;
            });
        }
        return b.build();
    }

    private static SocketOptions socketOptions(RedisSettings s) {
        return SocketOptions.builder().connectTimeout(s.connectTimeout()).keepAlive(true).tcpNoDelay(true).build();
    }

    private static SslOptions sslOptions(RedisSettings s) {
        SslOptions.Builder b = SslOptions.builder().jdkSslProvider();
        if (s.tlsCaFile() != null) {
            b.trustManager(s.tlsCaFile().toFile());
        }
        return b.build();
    }

    private static TimeoutOptions timeouts(RedisSettings s) {
        return TimeoutOptions.builder().fixedTimeout(s.commandTimeout()).timeoutCommands(true).build();
    }

    /** Standalone or Sentinel: a {@link RedisClient} and one connection. */
    private static final class Single extends Connections {
        private final RedisClient client;
        private final StatefulRedisConnection<byte[], byte[]> connection;

        Single(ClientResources resources, RedisSettings s) {
            super(resources);
            RedisURI uri = s.mode() == RedisSettings.Mode.SENTINEL ? sentinelUri(s) : uri(s, s.nodes().get(0));
            this.client = RedisClient.create(resources, uri);
            client.setOptions(ClientOptions.builder()
                    .autoReconnect(true)
                    .socketOptions(socketOptions(s))
                    .timeoutOptions(timeouts(s))
                    .sslOptions(sslOptions(s))
                    .maintNotificationsConfig(MaintNotificationsConfig.disabled())
                    .build());
            try {
                this.connection = connectWithRetries(() -> client.connect(ByteArrayCodec.INSTANCE));
            } catch (RuntimeException e) {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
                throw e;
            }
        }

        @Override
        RedisClusterAsyncCommands<byte[], byte[]> commands() {
            return connection.async();
        }

        @Override
        List<Node> upstreams() {
            return List.of(new Node("master", connection.async()));
        }

        @Override
        public void close() {
            try {
                connection.close();
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
                resources.shutdown(0, 2, TimeUnit.SECONDS);
            }
        }
    }

    /** Redis Cluster: a {@link RedisClusterClient} and one cluster connection (one link per node). */
    private static final class Cluster extends Connections {
        private final RedisClusterClient client;
        private final StatefulRedisClusterConnection<byte[], byte[]> connection;

        Cluster(ClientResources resources, RedisSettings s) {
            super(resources);
            List<RedisURI> seeds = new ArrayList<>();
            for (RedisSettings.Node n : s.nodes()) {
                seeds.add(uri(s, n));
            }
            this.client = RedisClusterClient.create(resources, seeds);
            ClusterClientOptions.Builder options = ClusterClientOptions.builder()
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enableAllAdaptiveRefreshTriggers().build());
            options.autoReconnect(true)
                    .socketOptions(socketOptions(s))
                    .timeoutOptions(timeouts(s))
                    .sslOptions(sslOptions(s))
                    .maintNotificationsConfig(MaintNotificationsConfig.disabled());
            client.setOptions(options.build());
            try {
                this.connection = connectWithRetries(() -> client.connect(ByteArrayCodec.INSTANCE));
            } catch (RuntimeException e) {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
                throw e;
            }
            if (connection.getPartitions().size() == 0) {
                close();
                throw new ConfigurationException("storage.redis.uri names no node of a Redis Cluster (no slots found)");
            }
        }

        @Override
        RedisClusterAsyncCommands<byte[], byte[]> commands() {
            return connection.async();
        }

        @Override
        List<Node> upstreams() {
            List<Node> nodes = new ArrayList<>();
            for (RedisClusterNode n : connection.getPartitions()) {
                if (n.is(RedisClusterNode.NodeFlag.UPSTREAM)) {
                    nodes.add(new Node(n.getUri().getHost() + ":" + n.getUri().getPort(),
                            connection.getConnection(n.getNodeId()).async()));
                }
            }
            return nodes;
        }

        @Override
        public void close() {
            try {
                connection.close();
            } finally {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
                resources.shutdown(0, 2, TimeUnit.SECONDS);
            }
        }
    }

    /** Attempts at the first connection: a cold JVM or a busy machine can miss one handshake deadline. */
    static final int CONNECT_ATTEMPTS = 3;

    /**
     * The first connection, tried {@value #CONNECT_ATTEMPTS} times when it fails for want of a
     * connection (not for refused credentials or TLS errors, which fail at once).
     */
    static <C> C connectWithRetries(java.util.function.Supplier<C> connect) {
        for (int attempt = 1; ; attempt++) {
            try {
                return connect.get();
            } catch (io.lettuce.core.RedisConnectionException e) {
                if (refused(e) || attempt >= CONNECT_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    /** Whether the server refused us (credentials, TLS), which a second attempt would not change. */
    private static boolean refused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (t instanceof javax.net.ssl.SSLException || t instanceof java.security.GeneralSecurityException
                    || t instanceof io.lettuce.core.RedisCommandExecutionException
                    || m.contains("WRONGPASS") || m.contains("NOAUTH") || m.contains("NOPERM")) {
                return true;
            }
        }
        return false;
    }

    /** {@code CONFIG GET} of one setting, or null when refused. */
    static String config(Map<String, String> map, String key) {
        return map == null ? null : map.get(key);
    }
}
