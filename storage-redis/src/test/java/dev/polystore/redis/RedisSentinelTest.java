package dev.polystore.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Health;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.StoreFactory;
import dev.polystore.Store;
import dev.polystore.testkit.redis.RedisProcess;
import dev.polystore.testkit.redis.Resp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sentinel mode against a real master and a real Sentinel (both {@code redis-server} processes
 * started by the test): the backend asks the Sentinel for the master and works on it.
 */
class RedisSentinelTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("a redis-sentinel:// URI finds the master through the Sentinel, and writes and reads on it")
    void throughSentinel() throws Exception {
        try (RedisProcess master = RedisProcess.startDefault()) {
            int sentinelPort = RedisProcess.freePort();
            Path conf = dir.resolve("sentinel.conf");
            Files.writeString(conf, String.join("\n",
                    "port " + sentinelPort,
                    "bind 127.0.0.1",
                    "dir " + dir,
                    "sentinel monitor polymaster 127.0.0.1 " + master.port() + " 1",
                    "sentinel down-after-milliseconds polymaster 5000",
                    ""));
            Process sentinel = new ProcessBuilder(RedisProcess.binary().toString(), conf.toString(), "--sentinel")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("sentinel.log").toFile()).start();
            try {
                awaitMasterKnown(sentinelPort, master.port());
                try (Storage storage = StoreFactory.open(TestConfigs.redis("redis-sentinel://127.0.0.1:" + sentinelPort
                        + "#polymaster").set("redis.key_prefix", "sentinel:").build())) {
                    Store<String> s = storage.store("sentinel", Codec.utf8());
                    assertEquals(1, s.put(Item.of("p", "k", "through the sentinel")).get(1, TimeUnit.MINUTES).version());
                    assertEquals("through the sentinel", s.get("p", "k").get(1, TimeUnit.MINUTES).orElseThrow().value());
                    Health h = storage.health().get(1, TimeUnit.MINUTES);
                    assertTrue(h.healthy(), h.toString());
                    assertEquals("sentinel", h.details().get("mode"));
                }
                assertEquals("1", String.valueOf(master.call("EXISTS", "sentinel:{p}i:sentinel:k")),
                        "the item is on the master the Sentinel named");
            } finally {
                sentinel.destroy();
                if (!sentinel.waitFor(10, TimeUnit.SECONDS)) {
                    sentinel.destroyForcibly();
                }
            }
        }
    }

    private void awaitMasterKnown(int sentinelPort, int masterPort) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Object last = null;
        while (System.nanoTime() < deadline) {
            try {
                last = Resp.call("127.0.0.1", sentinelPort, 1000, "SENTINEL", "get-master-addr-by-name", "polymaster");
                if (last instanceof List<?> l && l.size() == 2 && String.valueOf(masterPort).equals(String.valueOf(l.get(1)))) {
                    return;
                }
            } catch (RuntimeException e) {
                last = e;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the Sentinel did not report the master within 30 s: " + last + "; log:\n"
                + Files.readString(dir.resolve("sentinel.log")));
    }
}
