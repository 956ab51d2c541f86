package dev.polystore.testkit.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A real Redis Cluster of {@code n} masters (no replicas), each a {@link RedisProcess} on
 * loopback, the 16,384 slots split evenly between them, joined with {@code CLUSTER MEET}. For
 * testing a backend's Cluster mode: keys hash to slots on different processes, multi-key
 * commands across slots fail with {@code CROSSSLOT}, and clients must follow the topology.
 *
 * <p>Starts in a few seconds; closing stops every process.
 */
public final class RedisClusterProcesses implements AutoCloseable {
    /** How long {@link #start(int)} waits for {@code cluster_state:ok} on every node. */
    public static final Duration FORM_TIMEOUT = Duration.ofSeconds(60);
    private static final int SLOTS = 16384;

    private final List<RedisProcess> nodes;

    private RedisClusterProcesses(List<RedisProcess> nodes) {
        this.nodes = List.copyOf(nodes);
    }

    /** Cluster nodes listen on their port and on the cluster bus at that port + 10000. */
    private static final int BUS_OFFSET = 10000;

    /**
     * Starts one node on a port whose bus port is free too, both below the ephemeral range (a
     * client's socket could otherwise take the bus port); a port taken between the probe and the
     * bind is tried again with another, up to three times.
     */
    private static RedisProcess startNode() {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                return RedisProcess.builder()
                        .port(dev.polystore.testkit.net.Ports.restartable(BUS_OFFSET))
                        .set("cluster-enabled", "yes")
                        .set("cluster-config-file", "nodes.conf")
                        .set("cluster-node-timeout", "5000")
                        .start();
            } catch (IllegalStateException e) {
                if (e.getMessage() == null || !e.getMessage().contains("Address already in use")) {
                    throw e;
                }
                last = e;
            }
        }
        throw last;
    }

    /** Starts {@code masters} processes (at least 1) and forms the cluster. */
    public static RedisClusterProcesses start(int masters) {
        List<RedisProcess> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < masters; i++) {
                nodes.add(startNode());
            }
            for (int i = 0; i < masters; i++) {
                int from = SLOTS * i / masters;
                int to = SLOTS * (i + 1) / masters;
                List<String> args = new ArrayList<>();
                args.add("CLUSTER");
                args.add("ADDSLOTS");
                for (int slot = from; slot < to; slot++) {
                    args.add(String.valueOf(slot));
                }
                nodes.get(i).call(args.toArray(String[]::new));
            }
            for (int i = 1; i < masters; i++) {
                nodes.get(0).call("CLUSTER", "MEET", nodes.get(i).host(), String.valueOf(nodes.get(i).port()));
            }
            RedisClusterProcesses cluster = new RedisClusterProcesses(nodes);
            cluster.awaitFormed(masters);
            return cluster;
        } catch (RuntimeException e) {
            nodes.forEach(RedisProcess::close);
            throw e;
        }
    }

    private void awaitFormed(int masters) {
        long deadline = System.nanoTime() + FORM_TIMEOUT.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            boolean ok = true;
            for (RedisProcess n : nodes) {
                String info = String.valueOf(n.call("CLUSTER", "INFO"));
                last = info;
                ok &= info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:" + masters)
                        && info.contains("cluster_slots_assigned:" + SLOTS);
            }
            if (ok) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the cluster formed", e);
            }
        }
        throw new IllegalStateException("the Redis Cluster did not form within " + FORM_TIMEOUT + "; last CLUSTER INFO:\n"
                + last);
    }

    /** The processes, one per master. */
    public List<RedisProcess> nodes() {
        return nodes;
    }

    /** Every node as {@code redis://host:port}, comma-separated: the seeds for {@code storage.redis.uri}. */
    public String uris() {
        return nodes.stream().map(RedisServer::uri).collect(Collectors.joining(","));
    }

    @Override
    public void close() {
        nodes.forEach(RedisProcess::close);
    }
}
