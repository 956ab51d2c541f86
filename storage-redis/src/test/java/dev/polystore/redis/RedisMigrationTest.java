package dev.polystore.redis;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.migration.MigrationContract;
import dev.polystore.testkit.redis.RedisServerExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The scan and import contract against a real redis-server (hash-split segments over SCAN, one import script per batch). */
class RedisMigrationTest extends MigrationContract {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.redis(REDIS.uri()).build();
    }
}
