/**
 * The {@code redis} backend: Redis (standalone, Sentinel or Cluster) through the Lettuce async
 * client.
 *
 * <p>Users only name it in configuration ({@code backend = "redis"}, keys under
 * {@code [storage.redis]}); the one public type, {@link dev.polystore.redis.RedisStorageProvider},
 * is found by {@link java.util.ServiceLoader}. Layout, configuration keys, durability and failure
 * semantics are documented in {@code docs/redis.md}.
 */
package dev.polystore.redis;
