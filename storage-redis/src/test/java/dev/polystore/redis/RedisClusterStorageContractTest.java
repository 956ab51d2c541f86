package dev.polystore.redis;

import static dev.polystore.testkit.KitAssertions.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.testkit.StorageContract;
import dev.polystore.testkit.redis.RedisClusterProcesses;
import dev.polystore.testkit.redis.RedisProcess;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The whole core contract on a real three-master Redis Cluster started by the test, in Cluster
 * mode ({@code cluster = true}): keys of different partitions live on different processes, and
 * transactions are declared to stay within one partition key — the kit then checks that one
 * across partition keys fails with a ValidationException (never a raw CROSSSLOT) and writes
 * nothing. Its own Surefire execution (see the pom).
 */
class RedisClusterStorageContractTest extends StorageContract {
    static RedisClusterProcesses cluster;

    @BeforeAll
    static void startCluster() {
        cluster = RedisClusterProcesses.start(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.redis(cluster.uris()).set("redis.cluster", true).build();
    }

    @Nested
    @DisplayName("Redis Cluster specifics")
    class ClusterSpecifics {
        @Test
        @DisplayName("partitions spread over every master, each partition's items and index on one")
        void spread() {
            Store<String> s = strings();
            for (int i = 0; i < 60; i++) {
                await(s.put(Item.of(pk("spread" + i), "a", "v")));
                await(s.put(Item.of(pk("spread" + i), "b", "v")));
            }
            for (RedisProcess node : cluster.nodes()) {
                long keys = Long.parseLong(String.valueOf(node.call("DBSIZE")));
                assertTrue(keys > 0, "every master holds some partitions: " + node + " has none");
            }
            for (int i = 0; i < 60; i++) {
                assertEquals(2, await(s.query(pk("spread" + i), "")).size());
            }
        }

        @Test
        @DisplayName("capabilities say transactions stay within one partition key")
        void declared() {
            assertFalse(storage.capabilities().transactionsAcrossPartitions());
            assertTrue(storage.capabilities().has(dev.polystore.Capability.TRANSACTIONS));
        }

        @Test
        @DisplayName("health names the mode and every master's persistence settings")
        void health() {
            var h = await(storage.health());
            assertTrue(h.healthy(), h.toString());
            assertEquals("cluster", h.details().get("mode"));
            assertEquals("none", h.details().get("durability"), "the test cluster runs without AOF: " + h.details());
            assertEquals(3, h.details().keySet().stream().filter(k -> k.endsWith(" appendonly")).count(), h.details().toString());
        }
    }

}
