package dev.polystore.redis;

import dev.polystore.StorageConfig;

/** Configuration of the backend against a test server. */
final class TestConfigs {
    private TestConfigs() {
    }

    static StorageConfig.Builder redis(String uri) {
        return StorageConfig.builder().backend("redis").set("redis.uri", uri);
    }
}
