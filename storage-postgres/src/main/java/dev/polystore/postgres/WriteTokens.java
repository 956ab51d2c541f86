package dev.polystore.postgres;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Write tokens, stored with every row a write leaves ({@code wt}): 8 random bytes drawn once per
 * backend from {@link SecureRandom}, then an 8-byte per-backend counter. A token only has to be
 * unique: after a single-statement write whose answer was lost (the connection dropped while the
 * statement or its commit was in flight), reading the row back and finding this write's token
 * proves the write committed. Two backends share a prefix with probability about 2<sup>-64</sup>
 * per pair; within one backend the counter never repeats. Not secret. Thread-safe; one atomic
 * increment per token.
 */
final class WriteTokens {
    static final int LENGTH = 16;

    private final long prefix;
    private final AtomicLong counter = new AtomicLong();

    WriteTokens() {
        this.prefix = new SecureRandom().nextLong();
    }

    /** A token never returned before by this instance. */
    byte[] next() {
        return ByteBuffer.allocate(LENGTH).putLong(prefix).putLong(counter.getAndIncrement()).array();
    }
}
