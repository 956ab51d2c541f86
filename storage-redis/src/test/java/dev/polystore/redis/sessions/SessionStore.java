package dev.polystore.redis.sessions;

import dev.polystore.Condition;
import dev.polystore.ConditionFailedException;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.Store;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A typed session store over {@code Store<Session>} with sliding expiry: the example of
 * docs/sessions.md. It knows nothing of the engine: the same class runs on a bounded in-process
 * {@code memory} backend and on {@code redis}, chosen by one line of configuration.
 *
 * <p>Each session is one item, partition key {@code session#<id>}, sort key {@code s}, expiring
 * {@code ttl} after its last {@link #touch}. Thread-safe (the store is).
 */
public final class SessionStore {
    private static final String SK = "s";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Store<Session> sessions;
    private final Duration ttl;
    private final Clock clock;

    /**
     * @param storage where sessions live
     * @param ttl how long a session lives after its last use
     * @param clock the same clock the storage decides expiry by
     */
    public SessionStore(Storage storage, Duration ttl, Clock clock) {
        this.sessions = storage.store("sessions", Session.class);
        this.ttl = ttl;
        this.clock = clock;
    }

    private static String pk(String id) {
        return "session#" + id;
    }

    /** Starts a session for {@code userId}; completes with it once stored. */
    public CompletableFuture<Session> create(String userId, Map<String, String> attributes) {
        byte[] bits = new byte[16];
        RANDOM.nextBytes(bits);
        Session session = new Session(HexFormat.of().formatHex(bits), userId, clock.instant(), attributes);
        return sessions.putIfAbsent(Item.of(pk(session.id()), SK, session).withExpiry(clock.instant().plus(ttl)))
                .thenApply(Item::value);
    }

    /** The live session with this id, or empty (never created, expired, ended — or evicted from a bounded store). */
    public CompletableFuture<Optional<Session>> find(String id) {
        return sessions.get(pk(id), SK).thenApply(item -> item.map(Item::value));
    }

    /**
     * Extends a live session by {@code ttl} from now, changing nothing else; empty if there is none.
     * Conditional on the version read, so it never revives a session ended meanwhile.
     */
    public CompletableFuture<Optional<Session>> touch(String id) {
        return sessions.get(pk(id), SK).thenCompose(found -> {
            if (found.isEmpty()) {
                return CompletableFuture.completedFuture(Optional.<Session>empty());
            }
            Item<Session> item = found.get();
            return sessions.put(item.withExpiry(clock.instant().plus(ttl)), Condition.ifVersion(item.version()))
                    .thenApply(written -> Optional.of(written.value()))
                    .exceptionallyCompose(e -> {
                        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                        // Someone else touched or ended it meanwhile: read again.
                        return cause instanceof ConditionFailedException ? touch(id) : CompletableFuture.failedFuture(cause);
                    });
        });
    }

    /** Ends a session; completes with whether there was a live one. */
    public CompletableFuture<Boolean> end(String id) {
        return sessions.delete(pk(id), SK);
    }
}
