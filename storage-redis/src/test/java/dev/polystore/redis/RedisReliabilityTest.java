package dev.polystore.redis;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.redis.RedisServerExtension;
import dev.polystore.testkit.reliability.ReliabilityContract;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The portable reliability suite (docs/reliability.md, tests 1 to 5) on a real redis-server over
 * TCP, at the suite's full sizes. {@code -Dpolystore.reliability.scale=N} multiplies them.
 */
class RedisReliabilityTest extends ReliabilityContract {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.redis(REDIS.uri()).build();
    }
}
