package dev.polystore.internal.coordination;

import dev.polystore.ValidationException;
import dev.polystore.spi.SortKeys;
import java.security.SecureRandom;
import java.time.Duration;

/** Validation of the names that become parts of keys, and random ids. */
final class Names {
    static final int MAX_NAME_BYTES = 512;
    static final int MAX_EVENT_ID_BYTES = 256;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] DIGITS = "0123456789abcdefghijklmnopqrstuv".toCharArray();

    private Names() {
    }

    /** A lease or stream name: 1 to 512 UTF-8 bytes of valid Unicode without U+0000. */
    static String requireName(String what, String name) {
        if (name == null) {
            throw new ValidationException(what + " must not be null");
        }
        if (name.isEmpty()) {
            throw new ValidationException(what + " must not be empty");
        }
        int bytes = SortKeys.utf8Length(name, what + " \"" + abbreviate(name) + "\"");
        if (bytes > MAX_NAME_BYTES) {
            throw new ValidationException(what + " is " + bytes + " bytes in UTF-8; at most " + MAX_NAME_BYTES
                    + " are allowed (starts with \"" + abbreviate(name) + "\")");
        }
        return name;
    }

    static String requireEventId(String id) {
        if (id == null || id.isEmpty()) {
            throw new ValidationException("event id must not be empty");
        }
        int bytes = SortKeys.utf8Length(id, "event id \"" + abbreviate(id) + "\"");
        if (bytes > MAX_EVENT_ID_BYTES) {
            throw new ValidationException("event id is " + bytes + " bytes in UTF-8; at most " + MAX_EVENT_ID_BYTES
                    + " are allowed (starts with \"" + abbreviate(id) + "\")");
        }
        return id;
    }

    static Duration requireTtl(Duration ttl) {
        if (ttl == null) {
            throw new ValidationException("ttl must not be null");
        }
        if (ttl.compareTo(Duration.ofMillis(10)) < 0 || ttl.compareTo(Duration.ofDays(7)) > 0) {
            throw new ValidationException("ttl must be between 10 ms and 7 days, got " + ttl);
        }
        return ttl;
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }

    /** 128 random bits as 26 base-32 characters: holder ids and write ids, unique across processes. */
    static String randomId() {
        byte[] bits = new byte[17];
        RANDOM.nextBytes(bits);
        char[] out = new char[26];
        for (int i = 0; i < out.length; i++) {
            int bit = i * 5;
            int two = (bits[bit / 8] & 0xFF) << 8 | (bits[bit / 8 + 1] & 0xFF);
            out[i] = DIGITS[(two >>> (11 - bit % 8)) & 0x1F];
        }
        return new String(out);
    }
}
