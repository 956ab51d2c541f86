package dev.polystore.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.ConfigurationException;
import dev.polystore.Health;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreException;
import dev.polystore.StoreFactory;
import dev.polystore.UnavailableException;
import dev.polystore.spi.ConfigSection;
import dev.polystore.testkit.redis.RedisProcess;
import dev.polystore.testkit.redis.RedisServerExtension;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Settings: defaults, every check with the key in its message, secrets never shown, durability at open, auth. */
class RedisSettingsTest {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    private static RedisSettings parse(Map<String, String> values) {
        ConfigSection c = new ConfigSection("storage.redis", values);
        RedisSettings s = RedisSettings.from(c);
        c.rejectUnknownKeys();
        return s;
    }

    private static Map<String, String> with(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private static String failure(Map<String, String> values) {
        return assertThrows(ConfigurationException.class, () -> parse(values)).getMessage();
    }

    @Test
    @DisplayName("defaults: standalone, db 0, prefix ps:, 2 s connect, 5 s command, 5 s close, 60 s replay window, 300 s grace")
    void defaults() {
        RedisSettings s = parse(with("uri", "redis://127.0.0.1:6379"));
        assertEquals(RedisSettings.Mode.STANDALONE, s.mode());
        assertEquals(List.of(new RedisSettings.Node("127.0.0.1", 6379)), s.nodes());
        assertEquals(0, s.database());
        assertEquals("ps:", s.keyPrefix());
        assertEquals(Duration.ofSeconds(2), s.connectTimeout());
        assertEquals(Duration.ofSeconds(5), s.commandTimeout());
        assertEquals(Duration.ofSeconds(5), s.closeTimeout());
        assertEquals(Duration.ofSeconds(60), s.replayWindow());
        assertEquals(Duration.ofSeconds(300), s.expiryGrace());
        assertFalse(s.tls());
        assertEquals(Durability.UNKNOWN, s.minDurability());
        assertEquals(new RedisSettings.Node("::1", 6380), parse(with("uri", "redis://[::1]:6380")).nodes().get(0));
        assertEquals(6379, parse(with("uri", "redis://localhost")).nodes().get(0).port());
    }

    @Test
    @DisplayName("Sentinel and Cluster URIs, TLS from the scheme")
    void modes() {
        RedisSettings sentinel = parse(with("uri", "redis-sentinel://h1:26379,h2#mymaster", "sentinel_password", "sp"));
        assertEquals(RedisSettings.Mode.SENTINEL, sentinel.mode());
        assertEquals("mymaster", sentinel.sentinelMaster());
        assertEquals(List.of(new RedisSettings.Node("h1", 26379), new RedisSettings.Node("h2", 26379)), sentinel.nodes());
        RedisSettings cluster = parse(with("uri", "redis://a:7000, redis://b:7001,c:7002", "cluster", "true"));
        assertEquals(RedisSettings.Mode.CLUSTER, cluster.mode());
        assertEquals(3, cluster.nodes().size());
        assertTrue(cluster.cluster());
        RedisSettings tls = parse(with("uri", "rediss://h:6380", "tls_verify", "ca"));
        assertTrue(tls.tls());
        assertEquals(RedisSettings.TlsVerify.CA, tls.tlsVerify());
        assertTrue(parse(with("uri", "rediss-sentinel://h#m")).tls());
    }

    @Test
    @DisplayName("bad settings fail with the key, the value and what is expected")
    void badSettings() {
        assertTrue(failure(with()).contains("storage.redis.uri is not set"));
        assertTrue(failure(with("uri", "http://h")).contains("storage.redis.uri = \"http://h\": expected redis://"));
        assertTrue(failure(with("uri", "redis://a:1,redis://b:2")).contains("cluster = true"));
        assertTrue(failure(with("uri", "redis://:secret@h:6379")).contains("storage.redis.password"));
        assertFalse(failure(with("uri", "redis://:secret@h:6379")).contains("secret"), "the password is never shown");
        assertTrue(failure(with("uri", "redis://h/3")).contains("storage.redis.database"));
        assertTrue(failure(with("uri", "redis-sentinel://h:26379")).contains("'#'"));
        assertTrue(failure(with("uri", "redis://h", "key_prefix", "a{b")).contains("storage.redis.key_prefix"));
        assertTrue(failure(with("uri", "redis://h", "cluster", "true", "database", "2")).contains("only database 0"));
        assertTrue(failure(with("uri", "redis://h", "command_timeout_ms", "0")).contains("storage.redis.command_timeout_ms"));
        assertTrue(failure(with("uri", "redis://h", "command_timeout_ms", "30000", "replay_window_ms", "60000"))
                .contains("storage.redis.replay_window_ms"), "the replay window must outlast three command timeouts");
        assertTrue(failure(with("uri", "redis://h", "tls", "true")).contains("contradicts"));
        assertTrue(failure(with("uri", "redis://h", "tls_verify", "none")).contains("TLS is off"));
        assertTrue(failure(with("uri", "rediss://h", "tls_ca_file", "/nonexistent/ca.pem")).contains("storage.redis.tls_ca_file"));
        assertTrue(failure(with("uri", "redis://h", "username", "app")).contains("storage.redis.password"));
        assertTrue(failure(with("uri", "redis://h", "min_durability", "strong")).contains("storage.redis.min_durability"));
        assertTrue(failure(with("uri", "redis://h", "sentinel_password", "x")).contains("not a redis-sentinel://"));
        assertTrue(failure(with("uri", "redis://h", "hostname", "x")).contains("storage.redis.hostname"));
    }

    @Test
    @DisplayName("describe() and toString() never contain a password")
    void noSecrets() {
        RedisSettings s = parse(with("uri", "redis-sentinel://h#m", "username", "app", "password", "hunter2-secret",
                "sentinel_password", "sentinel-secret"));
        for (String text : List.of(s.toString(), s.describe())) {
            assertFalse(text.contains("hunter2-secret") || text.contains("sentinel-secret"), text);
            assertTrue(text.contains("user app") && text.contains("password set"), text);
        }
        StorageConfig config = TestConfigs.redis("redis://h").set("redis.password", "hunter2-secret").build();
        assertFalse(config.toString().contains("hunter2-secret"));
    }

    @Test
    @DisplayName("durability is read at open and reported by health; min_durability refuses a weaker server at open")
    void durability() throws Exception {
        try (Storage storage = StoreFactory.open(TestConfigs.redis(REDIS.uri()).build())) {
            Health h = storage.health().get(1, TimeUnit.MINUTES);
            assertTrue(h.healthy(), h.toString());
            assertEquals("no", h.details().get("appendonly"));
            assertEquals("none", h.details().get("durability"));
            assertTrue(h.details().get("durability_meaning").contains("loses every acknowledged write"), h.details().toString());
            assertTrue(h.details().get("redis_version").startsWith("6."), h.details().toString());
        }
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> StoreFactory.open(
                TestConfigs.redis(REDIS.uri()).set("redis.min_durability", "everysec").build()));
        assertTrue(e.getMessage().contains("storage.redis.min_durability = everysec") && e.getMessage().contains("appendonly"),
                e.getMessage());
        try (RedisProcess always = RedisProcess.builder().set("appendonly", "yes").set("appendfsync", "always").start();
             Storage storage = StoreFactory.open(TestConfigs.redis(always.uri()).set("redis.min_durability", "always").build())) {
            Health h = storage.health().get(1, TimeUnit.MINUTES);
            assertEquals("always", h.details().get("durability"));
            assertEquals("always", h.details().get("appendfsync"));
        }
    }

    @Test
    @DisplayName("password and ACL user: accepted when right; refused at open with a message naming the keys, never the password")
    void authentication() throws Exception {
        try (RedisProcess secured = RedisProcess.builder().set("requirepass", "s3cret-pass")
                .set("user", "app", "on", ">app-pass", "~*", "+@all").start()) {
            try (Storage storage = StoreFactory.open(TestConfigs.redis(secured.uri())
                    .set("redis.password", "s3cret-pass").build())) {
                storage.store("auth", Codec.utf8()).put(Item.of("p", "s", "v")).get(1, TimeUnit.MINUTES);
            }
            try (Storage storage = StoreFactory.open(TestConfigs.redis(secured.uri())
                    .set("redis.username", "app").set("redis.password", "app-pass").build())) {
                assertEquals("v", storage.store("auth", Codec.utf8()).get("p", "s").get(1, TimeUnit.MINUTES).orElseThrow().value());
            }
            StoreException wrong = assertThrows(StoreException.class, () -> StoreFactory.open(TestConfigs.redis(secured.uri())
                    .set("redis.password", "not-the-password").build()));
            assertFalse(String.valueOf(wrong).contains("not-the-password"), "the password is never in a message: " + wrong);
            assertTrue(wrong.getMessage().contains("storage.redis.uri") || wrong.getMessage().contains("password"),
                    wrong.getMessage());
        }
    }

    @Test
    @DisplayName("an unreachable server fails open with UnavailableException, it does not hang")
    void unreachable() {
        int port = RedisProcess.freePort();
        long start = System.nanoTime();
        UnavailableException e = assertThrows(UnavailableException.class,
                () -> StoreFactory.open(TestConfigs.redis("redis://127.0.0.1:" + port).build()));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(e.getMessage().contains("could not connect to Redis"), e.getMessage());
        // Generous: the first Lettuce client of a JVM initialises for seconds on a loaded machine.
        assertTrue(millis < 90_000, "open took " + millis + " ms");
    }
}
