package dev.polystore.dynamodb;

import dev.polystore.StorageConfig;
import dev.polystore.spi.ConfigSection;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Configuration of the backend against the test run's DynamoDB Local.
 *
 * <p>DynamoDB Local answers one request at a time, and the contract suites send bursts (up to
 * 1,000 writes at once) on a machine shared with other builds: requests then queue at the server
 * for seconds, beyond the production defaults (a 2 s attempt, a 5 s call), which are meant for
 * DynamoDB itself. So these configurations give DynamoDB Local the timeouts of a slow engine;
 * {@code DynamoDbTimeoutTest} checks the defaults on a hung path.
 */
final class TestConfigs {
    static final String REGION = "us-east-1";
    static final String PREFIX = "test_";
    /** Timeouts for a DynamoDB Local serving a burst on a loaded machine. */
    static final Map<String, Object> SLOW_ENGINE_TIMEOUTS = Map.of(
            "dynamodb.api_call_timeout_ms", 120_000,
            "dynamodb.api_call_attempt_timeout_ms", 30_000,
            "dynamodb.bulk_call_timeout_ms", 120_000,
            "dynamodb.bulk_call_attempt_timeout_ms", 30_000);

    private TestConfigs() {
    }

    /** DynamoDB Local at {@code endpoint}, with {@link #SLOW_ENGINE_TIMEOUTS}. */
    static StorageConfig.Builder local(URI endpoint) {
        StorageConfig.Builder b = withDefaultTimeouts(endpoint);
        SLOW_ENGINE_TIMEOUTS.forEach(b::set);
        return b;
    }

    /** DynamoDB Local at {@code endpoint} with the backend's default timeouts. */
    static StorageConfig.Builder withDefaultTimeouts(URI endpoint) {
        return StorageConfig.builder()
                .backend("dynamodb")
                .set("dynamodb.endpoint", endpoint)
                .set("dynamodb.region", REGION)
                .set("dynamodb.table_prefix", PREFIX)
                .set("dynamodb.create_tables", true)
                .set("dynamodb.credentials", "local");
    }

    /** The {@code [storage.dynamodb]} section with {@code extra} keys over the defaults above. */
    static ConfigSection section(URI endpoint, Map<String, String> extra) {
        Map<String, String> values = new LinkedHashMap<>(local(endpoint).build().section("dynamodb"));
        values.putAll(extra);
        return new ConfigSection("storage.dynamodb", values);
    }
}
