package dev.polystore.mirror;

import dev.polystore.spi.ConfigSection;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;
import dev.polystore.testkit.postgres.PostgresServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.UUID;

/** Backends over the real engines the mirror tests use, each with its own file or table prefix. */
final class Engines {
    private Engines() {
    }

    static StorageBackend open(String provider, Map<String, String> values, Clock clock) {
        for (StorageProvider p : ServiceLoader.load(StorageProvider.class)) {
            if (p.name().equals(provider)) {
                return p.open(new ProviderContext(new ConfigSection("storage." + provider, values), clock));
            }
        }
        throw new IllegalStateException("no storage provider named " + provider + " on the test class path");
    }

    static StorageBackend sqlite(Path dir, String name, Clock clock) {
        return open("sqlite", Map.of("path", dir.resolve(name + "-" + unique() + ".db").toString()), clock);
    }

    static StorageBackend postgres(PostgresServer server, Clock clock) {
        try {
            server.createDatabase("polystore_mirror", "");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("could not create the test database", e);
        }
        Map<String, String> v = new LinkedHashMap<>();
        v.put("url", server.jdbcUrl("polystore_mirror"));
        v.put("user", server.user());
        if (!server.password().isEmpty()) {
            v.put("password", server.password());
        }
        v.put("table_prefix", "m" + unique() + "_");
        v.put("create_tables", "true");
        v.put("pool_size", "4");
        return open("postgres", v, clock);
    }

    static StorageBackend dynamodb(URI endpoint, Clock clock) {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("table_prefix", "m" + unique() + "_");
        v.put("region", "us-east-1");
        v.put("endpoint", endpoint.toString());
        v.put("create_tables", "true");
        v.put("credentials", "local");
        // generous: DynamoDB Local on a loaded build machine answers slowly
        v.put("api_call_timeout_ms", "120000");
        v.put("api_call_attempt_timeout_ms", "30000");
        return open("dynamodb", v, clock);
    }

    private static String unique() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    }
}
