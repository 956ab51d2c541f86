package dev.polystore.redis;

import dev.polystore.ConfigurationException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Provider {@code redis}: Redis 6.2 or newer — standalone, behind Sentinel, or Redis Cluster —
 * through the Lettuce async client. Settings live under {@code [storage.redis]}; see
 * {@code docs/redis.md}.
 *
 * <pre>{@code
 * [storage]
 * backend = "redis"
 *
 * [storage.redis]
 * uri = "redis://127.0.0.1:6379"
 * }</pre>
 *
 * <p>Opening checks the settings, connects, loads the scripts and reads the servers'
 * persistence settings ({@code appendonly}, {@code appendfsync}): a setting weaker than
 * {@code min_durability} fails the open with a {@link ConfigurationException}; one under which an
 * acknowledged write may be lost on a crash is logged as a warning. An unreachable server fails
 * with {@link UnavailableException}. Thread-safe; the backend it opens is too.
 */
public final class RedisStorageProvider implements StorageProvider {
    private static final Logger LOG = LoggerFactory.getLogger(RedisStorageProvider.class);

    @Override
    public String name() {
        return RedisBackend.NAME;
    }

    @Override
    public String artifact() {
        return "dev.polystore:storage-redis";
    }

    @Override
    public StorageBackend open(ProviderContext context) {
        RedisSettings settings = RedisSettings.from(context.config());
        context.config().rejectUnknownKeys();
        String where = settings.describe();
        Connections connections;
        try {
            connections = Connections.open(settings);
        } catch (StoreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new UnavailableException("could not connect to Redis (" + where + "): " + e.getMessage()
                    + "; check storage.redis.uri, the credentials and TLS settings", e);
        }
        RedisBackend backend = new RedisBackend(settings, connections, context.clock());
        Duration wait = settings.commandTimeout().plusSeconds(5);
        try {
            backend.loadScripts(wait);
            RedisBackend.Persistence p = backend.persistence().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            if (!p.weakest().atLeast(settings.minDurability())) {
                throw new ConfigurationException("storage.redis.min_durability = "
                        + settings.minDurability().label().replace("unknown", "none") + " but the Redis server ("
                        + where + ") says " + p.details() + ": " + p.weakest().meaning()
                        + ". Set appendonly yes / appendfsync always (or everysec) on the server, or lower min_durability");
            }
            if (p.weakest().mayLoseAcknowledgedWrites()) {
                LOG.warn("Redis ({}) may lose acknowledged writes on a crash: {} (see docs/redis.md#durability)", where,
                        p.weakest().meaning());
            }
            LOG.debug("Opened the redis backend ({}), durability {}", where, p.weakest().label());
            return backend;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            backend.close();
            throw new UnavailableException("opening the redis backend was interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            backend.close();
            throw RedisErrors.map(e, "opening the redis backend (" + where + ")", false, null);
        } catch (RuntimeException e) {
            backend.close();
            throw e instanceof StoreException s ? s : RedisErrors.map(e, "opening the redis backend (" + where + ")", false, null);
        } catch (Exception e) {
            backend.close();
            throw RedisErrors.map(e, "opening the redis backend (" + where + ")", false, null);
        }
    }
}
