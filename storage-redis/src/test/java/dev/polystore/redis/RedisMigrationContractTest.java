package dev.polystore.redis;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.migration.MigrationContract;
import dev.polystore.testkit.redis.RedisServerExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The scan half of the migration contract on a real redis-server (standalone; the backend
 * declares {@code SCAN}, not {@code IMPORT}: the import group is skipped with its capability's
 * name).
 */
class RedisMigrationContractTest extends MigrationContract {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.redis(REDIS.uri()).build();
    }
}
