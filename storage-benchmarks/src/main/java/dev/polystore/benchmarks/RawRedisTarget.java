package dev.polystore.benchmarks;

import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Hand-written Lettuce doing the work Polystore's redis backend does, without its guarantees:
 * the same layout (a hash per item with payload {@code p} and version {@code v}, a score-0 sorted
 * set per partition), one shared connection, the async API.
 * <ul>
 *   <li>put: {@code HSET p}, {@code HINCRBY v 1} and {@code ZADD} pipelined (no condition, no
 *       expiry check, no write id, not atomic);</li>
 *   <li>get: {@code HMGET p v e};</li>
 *   <li>query: {@code ZRANGEBYLEX} of the prefix, then one {@code HMGET} per member, pipelined
 *       (two round trips, where Polystore's query script takes one).</li>
 * </ul>
 */
public final class RawRedisTarget implements Target {
    private static final byte[] P = {'p'};
    private static final byte[] V = {'v'};
    private static final byte[] E = {'e'};

    private final RedisClient client;
    private final StatefulRedisConnection<byte[], byte[]> connection;
    private final RedisAsyncCommands<byte[], byte[]> redis;

    public RawRedisTarget(String uri) {
        this.client = RedisClient.create(RedisURI.create(uri));
        this.connection = client.connect(ByteArrayCodec.INSTANCE);
        this.redis = connection.async();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] item(String pk, String sk) {
        return utf8("raw:{" + pk + "}i:" + PolystoreTarget.STORE + ":" + sk);
    }

    private static byte[] index(String pk) {
        return utf8("raw:{" + pk + "}z:" + PolystoreTarget.STORE);
    }

    @Override
    public CompletableFuture<byte[]> get(String pk, String sk) {
        return redis.hmget(item(pk, sk), P, V, E).toCompletableFuture()
                .thenApply(f -> f.get(0).hasValue() ? f.get(0).getValue() : null);
    }

    @Override
    public CompletableFuture<Long> put(String pk, String sk, byte[] payload) {
        byte[] key = item(pk, sk);
        redis.hset(key, P, payload);
        RedisFuture<Long> version = redis.hincrby(key, V, 1);
        RedisFuture<Long> indexed = redis.zadd(index(pk), 0, utf8(sk));
        return version.toCompletableFuture().thenCombine(indexed.toCompletableFuture(), (v, z) -> v);
    }

    @Override
    public CompletableFuture<Long> query(String pk, String prefix) {
        byte[] lower = utf8(prefix);
        byte[] upper = lower.clone();
        upper[upper.length - 1]++;
        return redis.zrangebylex(index(pk), Range.from(Range.Boundary.including(lower), Range.Boundary.excluding(upper)),
                Limit.from(1000)).toCompletableFuture().thenCompose(members -> {
                    List<CompletableFuture<List<KeyValue<byte[], byte[]>>>> reads = new ArrayList<>(members.size());
                    for (byte[] m : members) {
                        reads.add(redis.hmget(item(pk, new String(m, StandardCharsets.UTF_8)), P, V, E).toCompletableFuture());
                    }
                    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> {
                        long bytes = 0;
                        for (CompletableFuture<List<KeyValue<byte[], byte[]>>> r : reads) {
                            KeyValue<byte[], byte[]> p = r.join().get(0);
                            bytes += p.hasValue() ? p.getValue().length : 0;
                        }
                        return bytes;
                    });
                });
    }

    @Override
    public CompletableFuture<Void> load(List<Entry> items) {
        CompletableFuture<?>[] puts = new CompletableFuture<?>[items.size()];
        for (int i = 0; i < items.size(); i++) {
            Entry e = items.get(i);
            puts[i] = put(e.pk(), e.sk(), e.payload());
        }
        return CompletableFuture.allOf(puts);
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown();
    }
}
