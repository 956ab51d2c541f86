package dev.polystore.redis;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.coordination.EventStoreContract;
import dev.polystore.testkit.redis.RedisServerExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The testkit's EventStore contract on a real redis-server started by the test (standalone); child
 * JVMs connect to the same server.
 */
class RedisEventStoreTest extends EventStoreContract {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.redis(REDIS.uri()).build();
    }
}
