package dev.polystore.dynamodb;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Write tokens (the {@code wt} attribute) and {@code TransactWriteItems} client request tokens:
 * a random prefix drawn once per instance, followed by a per-instance counter.
 *
 * <p>A token only has to be <em>unique</em>: it tells this write's own earlier attempt apart
 * from every other write, by any client, of the same item (and, as a client request token, from
 * every other transaction of the account within DynamoDB's idempotency window). The prefix is
 * {@value #PREFIX_CHARS} base-32 characters, {@value #PREFIX_BITS} bits from {@link SecureRandom},
 * so two instances (in this process or any other) share a prefix with probability about
 * 2<sup>-100</sup> per pair; within one instance the counter never repeats (2<sup>64</sup>
 * values). A token is not secret: it is stored in the item, visible to every reader of the
 * table, and the next one of an instance can be guessed from it — as before, anyone who can
 * write the table can forge anything anyway.
 *
 * <p>{@link #next()} is one atomic increment and one short string: unlike
 * {@code UUID.randomUUID()} it does not draw from {@code SecureRandom} per write. A caller
 * draws one token per logical write and keeps it for every attempt of that write (the SDK's
 * retries resend the same request, and an upsert's later rounds reuse it), exactly as before.
 *
 * <p>Tokens are 21 to 33 characters of {@code [0-9a-v]}: within DynamoDB's 1–36 characters for
 * a client request token, and short in the item. Thread-safe.
 */
final class WriteTokens {
    static final int PREFIX_CHARS = 20;
    static final int PREFIX_BITS = PREFIX_CHARS * 5;
    /** The longest token: the prefix and a 64-bit counter in base 32 (13 digits). */
    static final int MAX_LENGTH = PREFIX_CHARS + 13;

    private static final char[] DIGITS = "0123456789abcdefghijklmnopqrstuv".toCharArray();

    private final String prefix;
    private final AtomicLong counter = new AtomicLong();

    WriteTokens() {
        this(new SecureRandom());
    }

    WriteTokens(SecureRandom random) {
        byte[] bits = new byte[(PREFIX_BITS + 7) / 8];
        random.nextBytes(bits);
        char[] chars = new char[PREFIX_CHARS];
        for (int i = 0; i < PREFIX_CHARS; i++) {
            int bit = i * 5;
            int twoBytes = (bits[bit / 8] & 0xFF) << 8 | (bit / 8 + 1 < bits.length ? bits[bit / 8 + 1] & 0xFF : 0);
            chars[i] = DIGITS[(twoBytes >>> (11 - bit % 8)) & 0x1F];
        }
        this.prefix = new String(chars);
    }

    /** A token never returned before by this instance, nor (with overwhelming probability) by any other. */
    String next() {
        return prefix.concat(Long.toUnsignedString(counter.getAndIncrement(), 32));
    }

    /** This instance's random prefix (for tests). */
    String prefix() {
        return prefix;
    }
}
