package dev.polystore.redis.sessions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import dev.polystore.testkit.MutableClock;
import dev.polystore.testkit.redis.RedisServerExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The session store example of docs/sessions.md on both engines, from one configuration file in
 * which only the {@code backend} line differs: a bounded in-process LRU store ({@code memory},
 * {@code max_items = 3}) on one machine, Redis when several machines share the sessions.
 */
class SessionStoreExampleTest {
    @RegisterExtension
    static final RedisServerExtension REDIS = new RedisServerExtension();

    @TempDir
    Path dir;

    /** The configuration file of docs/sessions.md; the backend line is the only difference. */
    private Path config(String backend) throws Exception {
        String toml = """
                [storage]
                backend = "%s"               # "memory" on one machine, "redis" when several share the sessions

                [storage.memory]
                max_items = 3                   # least recently used sessions are evicted beyond this

                [storage.redis]
                uri = "%s"
                key_prefix = "sessions-example:%s:"
                """.formatted(backend, REDIS.uri(), dir.getFileName());
        return Files.writeString(dir.resolve("polystore.toml"), toml);
    }

    @ParameterizedTest(name = "backend = {0}")
    @ValueSource(strings = {"memory", "redis"})
    @DisplayName("create, find, sliding expiry, end: the same code on memory and on redis")
    void lifecycle(String backend) throws Exception {
        MutableClock clock = MutableClock.startingNow();
        try (Storage storage = StoreFactory.open(StorageConfig.fromToml(config(backend)).withClock(clock))) {
            assertEquals(backend, storage.backend());
            SessionStore sessions = new SessionStore(storage, Duration.ofMinutes(30), clock);

            Session alice = sessions.create("alice", Map.of("cart", "3 items")).join();
            assertEquals(Optional.of(alice), sessions.find(alice.id()).join());

            clock.advance(Duration.ofMinutes(20));
            assertTrue(sessions.touch(alice.id()).join().isPresent(), "a live session can be extended");
            clock.advance(Duration.ofMinutes(20));
            assertEquals(Optional.of(alice), sessions.find(alice.id()).join(), "40 minutes in, touched at 20: still live");
            clock.advance(Duration.ofMinutes(10));
            assertEquals(Optional.empty(), sessions.find(alice.id()).join(), "30 minutes after the last touch: expired");
            assertTrue(sessions.touch(alice.id()).join().isEmpty(), "an expired session is not revived by a touch");

            Session bob = sessions.create("bob", Map.of()).join();
            assertTrue(sessions.end(bob.id()).join());
            assertFalse(sessions.end(bob.id()).join());
            assertEquals(Optional.empty(), sessions.find(bob.id()).join());
        }
    }

    @ParameterizedTest(name = "backend = {0}")
    @ValueSource(strings = {"memory", "redis"})
    @DisplayName("a fourth session: memory (max_items = 3) evicts the least recently used one, redis keeps all")
    void bound(String backend) throws Exception {
        MutableClock clock = MutableClock.startingNow();
        try (Storage storage = StoreFactory.open(StorageConfig.fromToml(config(backend)).withClock(clock))) {
            SessionStore sessions = new SessionStore(storage, Duration.ofMinutes(30), clock);
            Session a = sessions.create("a", Map.of()).join();
            Session b = sessions.create("b", Map.of()).join();
            Session c = sessions.create("c", Map.of()).join();
            sessions.find(a.id()).join(); // a is used: b is now the least recently used
            Session d = sessions.create("d", Map.of()).join();
            List<Boolean> live = List.of(a, b, c, d).stream()
                    .map(s -> sessions.find(s.id()).join().isPresent()).toList();
            if (backend.equals("memory")) {
                assertEquals(List.of(true, false, true, true), live, "b was evicted: an evicted session is simply gone");
            } else {
                assertEquals(List.of(true, true, true, true), live, "redis has no item bound: every session is kept");
            }
        }
    }
}
