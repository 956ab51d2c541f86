package dev.polystore.redis;

import dev.polystore.testkit.MutableClock;
import dev.polystore.testkit.faults.FaultSweepContract;
import dev.polystore.testkit.redis.RedisServerExtension;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The kit's engine-neutral fault sweep on a real redis-server, with the SPI-level injector between
 * the API layer and the redis backend: every engine call of the standard mix (core, dialogue and
 * document stores) fails in turn with every kind; outcome = data, recovery, nothing lost. Redis
 * keeps data across a close, so the sweep's close operation reopens on the same key prefix and
 * checks what it finds. The network-level faults of Redis itself (answers lost after the script
 * ran, reconnects, {@code SCRIPT FLUSH}, a hung path) are {@link RedisFaultTest} and
 * {@link RedisHungPathTest}.
 */
class RedisFaultSweepTest extends FaultSweepContract {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @Override
    protected Subject open(Path dir, MutableClock clock) {
        // One key prefix per case directory: a reopen of the directory sees what the case wrote.
        String prefix = "sweep" + Integer.toHexString(dir.toAbsolutePath().toString().hashCode()) + ":";
        return openThroughSpi(TestConfigs.redis(REDIS.uri()).set("redis.key_prefix", prefix).build()
                .withClock(clock));
    }

    @Override
    protected boolean persistent() {
        return true;
    }
}
