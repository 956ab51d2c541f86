package dev.polystore.redis;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.index.NativeIndexContract;
import dev.polystore.testkit.redis.RedisServerExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The native index hook's contract on Redis, which has no native index (no secondary index a
 * transaction script could keep): NATIVE_INDEXES is undeclared and its tests are skipped, naming it.
 */
class RedisNativeIndexContractTest extends NativeIndexContract {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return TestConfigs.redis(REDIS.uri()).build();
    }
}
