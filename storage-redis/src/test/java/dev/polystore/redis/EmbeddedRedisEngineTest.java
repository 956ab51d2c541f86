package dev.polystore.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import dev.polystore.testkit.engines.EmbeddedEngine;
import dev.polystore.testkit.engines.EmbeddedEngines;
import dev.polystore.testkit.redis.Resp;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The testkit's embedded Redis engine (the quickstart's {@code -Dengine=redis}), tested where the
 * embedded-redis jar is on the class path.
 */
class EmbeddedRedisEngineTest {

    @Test
    @DisplayName("redis-server starts on loopback, serves the backend at the URI it overrides, and is gone after close()")
    void redis() {
        URI uri;
        Path dir;
        try (EmbeddedEngine engine = EmbeddedEngines.start("redis")) {
            assertEquals("redis", engine.backend());
            assertEquals(Set.of("redis.uri"), engine.overrides().keySet());
            uri = URI.create(engine.overrides().get("redis.uri"));
            assertEquals("redis", uri.getScheme());
            assertEquals("127.0.0.1", uri.getHost());
            assertEquals("PONG", Resp.call(uri.getHost(), uri.getPort(), 5_000, "PING"));
            dir = Path.of(String.valueOf(((java.util.List<?>) Resp.call(uri.getHost(), uri.getPort(), 5_000,
                    "CONFIG", "GET", "dir")).get(1)));
            try (Storage storage = StoreFactory.open(StorageConfig.builder().backend("redis")
                    .set("redis.uri", uri.toString()).build())) {
                storage.store("engine", Codec.utf8()).put(Item.of("a", "b", "c")).join();
                assertEquals("c", storage.store("engine", Codec.utf8()).get("a", "b").join().orElseThrow().value());
            }
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", uri.getPort()), 5_000);
            throw new AssertionError("redis-server still listens after close()");
        } catch (IOException expected) {
            // stopped
        }
        assertTrue(!Files.exists(dir), "the engine's working directory is left behind: " + dir);
    }
}
