package dev.polystore.redis;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.domain.DialogueStoreContract;
import dev.polystore.testkit.redis.RedisServerExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Dialogue store contract on a real redis-server started by the test (standalone). */
class RedisDialogueStoreTest extends DialogueStoreContract {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.redis(REDIS.uri()).build();
    }
}
