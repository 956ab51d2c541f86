package dev.polystore.testkit.redis;

import dev.polystore.testkit.engines.EmbeddedEngine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * A real {@code redis-server} as an {@link EmbeddedEngine}, started the way
 * {@link RedisServerExtension} starts it for tests ({@link RedisProcess}: the binary of the
 * {@code com.github.codemonstur:embedded-redis} jar, on 127.0.0.1 and a free port, no
 * persistence, a temporary working directory removed on {@link #close()}). Needs the
 * embedded-redis jar on the class path. Points a configuration at itself by overriding
 * {@code redis.uri} only; the rest of the {@code [storage.redis]} section stays as written.
 */
public final class EmbeddedRedis implements EmbeddedEngine {
    private final RedisProcess server;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedRedis(RedisProcess server) {
        this.server = server;
    }

    /**
     * Starts {@code redis-server} and waits until it answers.
     *
     * @throws IllegalStateException if no binary is on the class path (the message names the
     *                               artifact to add), or the server does not start
     */
    public static EmbeddedRedis start() {
        return new EmbeddedRedis(RedisProcess.startDefault());
    }

    @Override
    public String backend() {
        return "redis";
    }

    @Override
    public Map<String, String> overrides() {
        return Map.of("redis.uri", server.uri());
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            server.close();
            try (Stream<Path> files = Files.walk(server.dir())) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // a left-over empty folder under the temporary directory; nothing to report
            }
        }
    }
}
