package dev.polystore.benchmarks;

import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;

/** The Redis contenders by their {@code @Param} name. */
public final class RedisTargets {
    private RedisTargets() {
    }

    /** Polystore on Redis at {@code uri} with the backend's defaults. */
    public static PolystoreTarget polystore(String uri) {
        return polystore(uri, java.util.Map.of());
    }

    /** Polystore on Redis at {@code uri} with {@code settings} (keys of {@code [storage.redis]}) over the defaults. */
    public static PolystoreTarget polystore(String uri, java.util.Map<String, Object> settings) {
        StorageConfig.Builder b = StorageConfig.builder().backend("redis").set("redis.uri", uri);
        settings.forEach((k, v) -> b.set("redis." + k, v));
        return new PolystoreTarget(StoreFactory.open(b.build()));
    }

    /** {@code polystore} or {@code raw} (hand-written Lettuce, {@link RawRedisTarget}) against Redis at {@code uri}. */
    public static Target of(String impl, String uri) {
        switch (impl) {
            case Targets.POLYSTORE:
                return polystore(uri);
            case Targets.RAW:
                return new RawRedisTarget(uri);
            default:
                throw new IllegalArgumentException("impl must be polystore or raw, not " + impl);
        }
    }
}
