package dev.polystore.encryption;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.layers.EveryContract;
import dev.polystore.testkit.redis.RedisServerExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every contract family through the encryption layer on a real redis-server the test starts, under
 * a key prefix of its own (so that layered and plain runs sharing a server never see each other's keys).
 */
class EncryptedRedisKitTest extends EveryContract {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @Override
    protected StorageConfig config(Path tempDir) throws Exception {
        return TestKeys.encrypted(StorageConfig.builder().backend("redis").set("redis.uri", REDIS.uri())
                .set("redis.key_prefix", "enc:")).build();
    }

    @Override
    protected int layerOverheadBytes() {
        return TestKeys.OVERHEAD;
    }
}
