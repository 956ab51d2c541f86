package dev.polystore.redis;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.StorageContract;
import dev.polystore.testkit.redis.RedisServerExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole core contract against a real redis-server the test starts itself (the embedded-redis
 * jar's binary), through Lettuce, opened through {@code StoreFactory} like users do. One server
 * serves every test; the kit's partition keys are unique per test.
 */
class RedisStorageContractTest extends StorageContract {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.redis(REDIS.uri()).build();
    }
}
