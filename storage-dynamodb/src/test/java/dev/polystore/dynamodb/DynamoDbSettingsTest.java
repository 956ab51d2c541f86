package dev.polystore.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.ConfigurationException;
import dev.polystore.spi.ConfigSection;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** {@code [storage.dynamodb]}: defaults, and failures that name the key, the value and what is expected. */
class DynamoDbSettingsTest {
    private static DynamoDbSettings read(Map<String, String> values) {
        return DynamoDbSettings.from(new ConfigSection("storage.dynamodb", values));
    }

    private static Map<String, String> minimal() {
        Map<String, String> m = new HashMap<>();
        m.put("region", "eu-west-1");
        return m;
    }

    private static String failure(Map<String, String> values) {
        return assertThrows(ConfigurationException.class, () -> read(values)).getMessage();
    }

    @Test
    @DisplayName("defaults: no prefix, no endpoint, tables not created, timeouts of seconds, SDK default retries")
    void defaults() {
        DynamoDbSettings s = read(minimal());
        assertEquals("", s.tablePrefix());
        assertEquals("eu-west-1", s.region());
        assertNull(s.endpoint());
        assertFalse(s.createTables());
        assertNull(s.profile());
        assertFalse(s.localCredentials());
        assertEquals(Duration.ofSeconds(5), s.apiCallTimeout());
        assertEquals(Duration.ofSeconds(2), s.apiCallAttemptTimeout());
        assertEquals(Duration.ofSeconds(30), s.bulkCallTimeout());
        assertEquals(Duration.ofSeconds(10), s.bulkCallAttemptTimeout());
        assertEquals(Duration.ofSeconds(10), s.closeGrace());
        assertEquals(0, s.maxAttempts());
        assertEquals(0, s.maxConcurrency());
        assertEquals(Duration.ofMinutes(5), s.tableWaitTimeout());
        assertEquals("users", s.tableName("users"));
    }

    @Test
    @DisplayName("every documented key is read")
    void everyKey() {
        Map<String, String> m = minimal();
        m.put("table_prefix", "app_");
        m.put("endpoint", "http://127.0.0.1:8000");
        m.put("create_tables", "true");
        m.put("credentials", "local");
        m.put("api_call_timeout_ms", "5000");
        m.put("api_call_attempt_timeout_ms", "1000");
        m.put("bulk_call_timeout_ms", "60000");
        m.put("bulk_call_attempt_timeout_ms", "20000");
        m.put("close_grace_ms", "0");
        m.put("max_attempts", "7");
        m.put("max_concurrency", "64");
        m.put("connection_timeout_ms", "250");
        m.put("table_wait_timeout_ms", "30000");
        DynamoDbSettings s = read(m);
        assertEquals("app_users", s.tableName("users"));
        assertEquals(URI.create("http://127.0.0.1:8000"), s.endpoint());
        assertTrue(s.createTables());
        assertTrue(s.localCredentials());
        assertEquals(Duration.ofSeconds(5), s.apiCallTimeout());
        assertEquals(Duration.ofSeconds(1), s.apiCallAttemptTimeout());
        assertEquals(Duration.ofMinutes(1), s.bulkCallTimeout());
        assertEquals(Duration.ofSeconds(20), s.bulkCallAttemptTimeout());
        assertEquals(Duration.ZERO, s.closeGrace());
        assertEquals(7, s.maxAttempts());
        assertEquals(64, s.maxConcurrency());
        assertEquals(Duration.ofMillis(250), s.connectionTimeout());
        assertEquals(Duration.ofSeconds(30), s.tableWaitTimeout());
        assertFalse(s.describe().contains(ClientFactory.LOCAL_ACCESS_KEY), "no credentials in descriptions");
    }

    @Test
    @DisplayName("timeouts: 0 turns one off; an attempt timeout longer than its call timeout is refused, naming both keys")
    void timeouts() {
        Map<String, String> m = minimal();
        m.put("api_call_timeout_ms", "0");
        m.put("bulk_call_attempt_timeout_ms", "0");
        DynamoDbSettings s = read(m);
        assertNull(s.apiCallTimeout());
        assertEquals(Duration.ofSeconds(2), s.apiCallAttemptTimeout());
        assertNull(s.bulkCallAttemptTimeout());
        m = minimal();
        m.put("api_call_attempt_timeout_ms", "6000");
        String message = failure(m);
        assertTrue(message.contains("storage.dynamodb.api_call_attempt_timeout_ms = 6000"), message);
        assertTrue(message.contains("storage.dynamodb.api_call_timeout_ms = 5000"), message);
        m = minimal();
        m.put("bulk_call_timeout_ms", "5000");
        message = failure(m);
        assertTrue(message.contains("storage.dynamodb.bulk_call_attempt_timeout_ms = 10000"), message);
        m = minimal();
        m.put("close_grace_ms", "-1");
        assertTrue(failure(m).contains("storage.dynamodb.close_grace_ms"));
    }

    @Test
    @DisplayName("a missing region names the key")
    void region() {
        assertTrue(failure(Map.of()).contains("storage.dynamodb.region"));
        Map<String, String> m = minimal();
        m.put("region", "EU West 1");
        assertTrue(failure(m).contains("storage.dynamodb.region = \"EU West 1\""));
    }

    @Test
    @DisplayName("unknown keys are rejected, listing the known ones")
    void unknownKey() {
        Map<String, String> m = minimal();
        m.put("create_table", "true");
        String message = failure(m);
        assertTrue(message.contains("storage.dynamodb.create_table"), message);
        assertTrue(message.contains("create_tables"), message);
    }

    @Test
    @DisplayName("bad values name the key, the value and what was expected")
    void badValues() {
        Map<String, String> m = minimal();
        m.put("endpoint", "127.0.0.1:8000");
        assertTrue(failure(m).contains("storage.dynamodb.endpoint"));
        m = minimal();
        m.put("table_prefix", "my prefix");
        assertTrue(failure(m).contains("storage.dynamodb.table_prefix"));
        m = minimal();
        m.put("max_attempts", "lots");
        assertTrue(failure(m).contains("storage.dynamodb.max_attempts = \"lots\""));
        m = minimal();
        m.put("create_tables", "yes");
        assertTrue(failure(m).contains("storage.dynamodb.create_tables"));
        m = minimal();
        m.put("credentials", "static");
        assertTrue(failure(m).contains("storage.dynamodb.credentials"));
    }

    @Test
    @DisplayName("local dummy credentials only with a loopback endpoint, and not with a profile")
    void localCredentials() {
        Map<String, String> m = minimal();
        m.put("credentials", "local");
        assertTrue(failure(m).contains("storage.dynamodb.endpoint"));
        m.put("endpoint", "https://dynamodb.eu-west-1.amazonaws.com");
        assertTrue(failure(m).contains("loopback"));
        m.put("endpoint", "http://[::1]:8000");
        assertTrue(read(m).localCredentials());
        m.put("endpoint", "http://localhost:8000");
        assertTrue(read(m).localCredentials());
        m.put("profile", "dev");
        assertTrue(failure(m).contains("storage.dynamodb.profile"));
    }

    @Test
    @DisplayName("loopback detection never resolves host names")
    void loopback() {
        assertTrue(DynamoDbSettings.isLoopback(URI.create("http://127.0.0.1:1")));
        assertTrue(DynamoDbSettings.isLoopback(URI.create("http://127.8.9.10:1")));
        assertFalse(DynamoDbSettings.isLoopback(URI.create("http://10.0.0.1:1")));
        assertFalse(DynamoDbSettings.isLoopback(URI.create("http://loopback.example:1")));
    }
}
