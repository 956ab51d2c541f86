package dev.polystore.dynamodb;

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
 * Provider {@code dynamodb}: Amazon DynamoDB through the AWS SDK for Java v2 async client, one
 * table per store. Settings live under {@code [storage.dynamodb]}; see {@code docs/dynamodb.md}.
 *
 * <pre>{@code
 * [storage]
 * backend = "dynamodb"
 *
 * [storage.dynamodb]
 * table_prefix = "app_"
 * region = "eu-west-1"
 * }</pre>
 *
 * <p>Opening checks the settings, builds the client and sends one cheap request
 * ({@code ListTables} with limit 1), so that unreachable endpoints and refused credentials fail
 * at open with a {@link ConfigurationException} or {@link UnavailableException} that says which.
 * Thread-safe; the backend it opens is too.
 */
public final class DynamoDbStorageProvider implements StorageProvider {
    private static final Logger LOG = LoggerFactory.getLogger(DynamoDbStorageProvider.class);
    /** How long {@link #open} waits for its connectivity check at most (when the call timeouts are turned off). */
    private static final Duration OPEN_CHECK_TIMEOUT = Duration.ofSeconds(30);

    @Override
    public String name() {
        return DynamoDbBackend.NAME;
    }

    @Override
    public String artifact() {
        return "dev.polystore:storage-dynamodb";
    }

    @Override
    public StorageBackend open(ProviderContext context) {
        DynamoDbSettings settings = DynamoDbSettings.from(context.config());
        return open(settings, context, ClientFactory.Hooks.NONE, DynamoDbBackend.DEFAULT_BATCH_RETRIES);
    }

    /** Opens with test hooks; package-private for the fault tests. */
    static DynamoDbBackend open(DynamoDbSettings settings, ProviderContext context, ClientFactory.Hooks hooks,
                                int batchRetries) {
        ClientFactory.Clients clients = ClientFactory.build(settings, hooks);
        DynamoDbBackend backend = new DynamoDbBackend(settings, clients, context.clock(), batchRetries);
        try {
            checkConnection(settings, clients);
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
        LOG.debug("Opened the dynamodb backend ({})", settings.describe());
        return backend;
    }

    /**
     * One {@code ListTables} (limit 1): proves the endpoint answers and accepts the credentials.
     * A refusal for lack of that one permission still proves both, so it passes.
     */
    private static void checkConnection(DynamoDbSettings settings, ClientFactory.Clients clients) {
        String what = "checking the connection to DynamoDB (" + settings.describe() + ")";
        try {
            // The bulk timeouts: a cold engine may take seconds over its first request (DynamoDB
            // Local initialises its database then), and a silent endpoint still fails in 30 s.
            clients.dynamo().listTables(b -> b.limit(1).overrideConfiguration(new Timeouts(settings).bulk()))
                    .get(OPEN_CHECK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException(what + " was interrupted", e);
        } catch (TimeoutException e) {
            throw new UnavailableException(what + " took longer than " + OPEN_CHECK_TIMEOUT.toSeconds()
                    + " s: is storage.dynamodb.endpoint / region right and reachable?", e);
        } catch (ExecutionException e) {
            Throwable cause = Errors.unwrap(e);
            if (Errors.isAccessDenied(cause)) {
                LOG.debug("dynamodb:ListTables is not allowed; the endpoint answered, so the check passes");
                return;
            }
            StoreException mapped = Errors.read(what, cause);
            if (mapped instanceof UnavailableException) {
                throw new UnavailableException(mapped.getMessage() + " (is storage.dynamodb.endpoint / region right "
                        + "and reachable?)", cause);
            }
            throw mapped;
        }
    }
}
