package dev.polystore.dynamodb;

import dev.polystore.StorageConfig;
import dev.polystore.spi.ConfigSection;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/** Configuration of the backend against the test run's DynamoDB Local. */
final class TestConfigs {
    static final String REGION = "us-east-1";
    static final String PREFIX = "test_";

    private TestConfigs() {
    }

    static StorageConfig.Builder local(URI endpoint) {
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
