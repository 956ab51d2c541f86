package dev.polystore.redis;

import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;

/**
 * Broken on purpose, for {@link RedisFaultTest}: the redis backend, except that a write it sends
 * again after a lost connection gets a new write id — as if writes carried none. The fault test
 * must then find misreported outcomes.
 */
public final class ForgetfulRedisProvider implements StorageProvider {
    @Override
    public String name() {
        return "forgetfulredis";
    }

    @Override
    public StorageBackend open(ProviderContext context) {
        RedisBackend backend = (RedisBackend) new RedisStorageProvider().open(
                new ProviderContext(new dev.polystore.spi.ConfigSection("storage.redis", context.config().values()),
                        context.clock()));
        backend.forgetWriteIdOnResend(true);
        return backend;
    }
}
