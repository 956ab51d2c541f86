package dev.polystore.redis;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.migration.MigrationContract;
import dev.polystore.testkit.redis.RedisClusterProcesses;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The scan and import contract on a real three-master Redis Cluster: every segment walks every
 * master's key space, and imports go as one script per partition key (a script's keys share a
 * slot). Runs in the cluster execution (see the pom).
 */
class RedisClusterMigrationContractTest extends MigrationContract {
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
}
