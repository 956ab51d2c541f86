/**
 * The Redis backend, provider {@code redis}, on the Lettuce async client (standalone, Sentinel or
 * Cluster); nothing in it is API (use {@code dev.polystore}). Lettuce is an automatic module named
 * by its manifest ({@code lettuce.core}).
 */
module dev.polystore.redis {
    requires dev.polystore;
    requires org.slf4j;
    requires lettuce.core;

    provides dev.polystore.spi.StorageProvider with dev.polystore.redis.RedisStorageProvider;
}
