package dev.polystore.redis;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Write ids: a random prefix drawn once per backend, then a counter. An id only has to be unique
 * among the writes to one partition within the replay window, by any client: the prefix is 20
 * base-32 characters (100 bits from {@link SecureRandom}), so two backends share one with
 * probability about 2<sup>-100</sup>; within a backend the counter never repeats. Ids are not
 * secret. One id per logical write, kept for every attempt of it. Thread-safe.
 */
final class WriteIds {
    private static final char[] DIGITS = "0123456789abcdefghijklmnopqrstuv".toCharArray();
    static final int PREFIX_CHARS = 20;

    private final String prefix;
    private final AtomicLong counter = new AtomicLong();

    WriteIds() {
        SecureRandom random = new SecureRandom();
        char[] chars = new char[PREFIX_CHARS];
        for (int i = 0; i < PREFIX_CHARS; i++) {
            chars[i] = DIGITS[random.nextInt(32)];
        }
        this.prefix = new String(chars);
    }

    /** An id never returned before by this instance, nor (with overwhelming probability) by any other. */
    String next() {
        return prefix.concat(Long.toUnsignedString(counter.getAndIncrement(), 32));
    }
}
