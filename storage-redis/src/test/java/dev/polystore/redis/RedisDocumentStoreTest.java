package dev.polystore.redis;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.domain.DocumentStoreContract;
import dev.polystore.testkit.redis.RedisServerExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Document store contract on a real redis-server started by the test (standalone). */
class RedisDocumentStoreTest extends DocumentStoreContract {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.redis(REDIS.uri()).build();
    }
}
