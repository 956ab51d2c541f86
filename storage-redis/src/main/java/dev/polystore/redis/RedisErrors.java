package dev.polystore.redis;

import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandInterruptedException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Lettuce's and Redis' failures as the portable kinds (docs/redis.md#errors):
 * <ul>
 *   <li>an error reply that means the command was refused before it ran ({@code OOM},
 *       {@code LOADING}, {@code BUSY}, {@code READONLY}, {@code MASTERDOWN}, {@code CLUSTERDOWN},
 *       {@code TRYAGAIN}, {@code NOREPLICAS}) → {@link UnavailableException}, nothing written;</li>
 *   <li>no connection could be made, or a command was rejected while disconnected →
 *       {@link UnavailableException}, nothing written;</li>
 *   <li>a timeout, a connection lost or closed with the command in flight → for reads
 *       {@link UnavailableException}; for writes {@link OutcomeUnknownException} (the command may
 *       have reached the server and run);</li>
 *   <li>{@code CROSSSLOT} → {@link ValidationException} (the backend checks first, so this is a
 *       safety net); authentication and permission errors → {@link StoreException} saying which
 *       setting to check; any other error reply on a write → {@link OutcomeUnknownException}.</li>
 * </ul>
 * Messages never contain keys, values or secrets; the engine's exception is the cause.
 */
final class RedisErrors {
    private RedisErrors() {
    }

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** The error code of a Redis error reply: its first word ({@code OOM}, {@code NOSCRIPT}, …). */
    static String code(RedisCommandExecutionException e) {
        String m = e.getMessage() == null ? "" : e.getMessage().trim();
        int space = m.indexOf(' ');
        return (space < 0 ? m : m.substring(0, space)).toUpperCase(Locale.ROOT);
    }

    /**
     * @param what what was being done, e.g. "put in store 'users'" (no keys, no values)
     * @param write whether the operation writes (an ambiguous failure is then "outcome unknown")
     * @param key the key of a single-item operation, or null
     */
    static StoreException map(Throwable failure, String what, boolean write, Key key) {
        Throwable t = unwrap(failure);
        if (t instanceof StoreException s) {
            return s;
        }
        if (t instanceof RedisCommandExecutionException e) {
            String code = code(e);
            switch (code) {
                case "OOM":
                    return new UnavailableException(what + " was refused: Redis is out of memory (maxmemory reached, "
                            + "and the eviction policy does not free room for writes); nothing was written", e);
                case "LOADING":
                case "BUSY":
                case "READONLY":
                case "MASTERDOWN":
                case "CLUSTERDOWN":
                case "TRYAGAIN":
                case "NOREPLICAS":
                case "MISCONF":
                    return new UnavailableException(what + " was refused by Redis (" + code + "): nothing was written; "
                            + "retry later", e);
                case "CROSSSLOT":
                    return new ValidationException(what + " touches keys in several Redis Cluster slots; on Redis "
                            + "Cluster a transaction must stay within one partition key", e);
                case "NOAUTH":
                case "WRONGPASS":
                case "NOPERM":
                    return new StoreException(what + " was refused by Redis (" + code + "): check storage.redis.username, "
                            + "storage.redis.password and the ACL rules of that user (it needs EVALSHA, EVAL, SCRIPT, "
                            + "HMGET, PING, CONFIG GET and INFO on the key prefix)", e);
                default:
                    return write ? new OutcomeUnknownException(what + " failed with a Redis error (" + code
                            + ") and may or may not have been applied; read the item back", key, e)
                            : new UnavailableException(what + " failed with a Redis error (" + code + ")", e);
            }
        }
        if (t instanceof RedisConnectionException) {
            return new UnavailableException(what + " failed: could not connect to Redis (" + t.getMessage()
                    + "); nothing was written", t);
        }
        if (t instanceof RedisException && t.getMessage() != null
                && t.getMessage().startsWith("Currently not connected")) {
            return new UnavailableException(what + " was not sent: not connected to Redis; nothing was written", t);
        }
        boolean timeout = t instanceof RedisCommandTimeoutException;
        String why = timeout ? "did not complete within the command timeout (storage.redis.command_timeout_ms)"
                : t instanceof CancellationException || t instanceof RedisCommandInterruptedException
                        ? "was cancelled (the backend is closing)"
                        : "lost its connection to Redis (" + t + ")";
        if (write) {
            return new OutcomeUnknownException(what + " " + why + ": it may or may not have been applied; read the "
                    + "item back", key, t);
        }
        return new UnavailableException(what + " " + why, t);
    }
}
