package dev.polystore.spi;

import dev.polystore.KeyRange;
import dev.polystore.ValidationException;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.Objects;

/**
 * The portable key order and sizes, for backend authors: everything a backend needs to order,
 * bound and measure sort keys exactly as every other backend does, so no author writes their
 * own (and gets {@link String#compareTo}'s UTF-16 order wrong above U+FFFF).
 *
 * <p>The keys a backend receives have already been validated by the API layer (non-empty, no
 * U+0000, no unpaired surrogates, within {@link dev.polystore.Limits}), so for them UTF-8 byte
 * order equals code-point order, which is what {@link #compare} computes without encoding.
 *
 * <p>Stateless and thread-safe.
 */
public final class SortKeys {
    /** Sort keys (or any valid key strings) by UTF-8 bytes: the portable order. */
    public static final Comparator<String> UTF8_ORDER = SortKeys::compare;

    private SortKeys() {
    }

    /**
     * Compares by UTF-8 bytes, which for valid strings is code-point order. Differs from
     * {@link String#compareTo} (UTF-16 order) for characters above U+FFFF: U+FF61 sorts before
     * U+10002 here, after it in {@code compareTo}.
     */
    public static int compare(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /** Compares two byte strings as unsigned bytes, the order {@link #compare} gives their UTF-8 texts. */
    public static int compare(byte[] a, byte[] b) {
        return java.util.Arrays.compareUnsigned(a, b);
    }

    /** The UTF-8 bytes of a key. */
    public static byte[] utf8(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The UTF-8 length of {@code s}, without encoding it.
     *
     * @param what how to name {@code s} in the error, e.g. {@code "sort key"}
     * @throws ValidationException if {@code s} has an unpaired surrogate or U+0000
     */
    public static int utf8Length(String s, String what) {
        int bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0) {
                throw new ValidationException(what + " contains U+0000 at index " + i + ", which is not portable");
            } else if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    bytes += 4;
                    i++;
                } else {
                    throw new ValidationException(what + " has an unpaired surrogate at index " + i
                            + "; keys must be valid Unicode");
                }
            } else if (Character.isLowSurrogate(c)) {
                throw new ValidationException(what + " has an unpaired surrogate at index " + i
                        + "; keys must be valid Unicode");
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /** The UTF-8 length of a string already known to be valid (every key a backend receives). */
    public static int utf8Length(String s) {
        return utf8Length(s, "string");
    }

    /**
     * Whether {@code sk} falls in {@code range}: by UTF-8 order, bounds inclusive, prefix
     * characters literal (no wildcards).
     */
    public static boolean inRange(String sk, KeyRange range) {
        Objects.requireNonNull(range, "range");
        if (range instanceof KeyRange.All) {
            return true;
        } else if (range instanceof KeyRange.Prefix p) {
            return sk.startsWith(p.prefix());
        } else if (range instanceof KeyRange.Between b) {
            return compare(sk, b.from()) >= 0 && compare(sk, b.to()) <= 0;
        } else if (range instanceof KeyRange.AtLeast a) {
            return compare(sk, a.from()) >= 0;
        } else if (range instanceof KeyRange.AtMost a) {
            return compare(sk, a.to()) <= 0;
        }
        throw new IllegalArgumentException("unknown range " + range);
    }

    /**
     * The smallest string greater than every string that starts with {@code prefix}, in UTF-8
     * (= code-point) order, or null if there is none (the prefix is all U+10FFFF). A prefix
     * query is then the half-open key range {@code prefix <= sk < bound} (or {@code sk >= prefix}
     * when null), which uses an ordered index and treats {@code %}, {@code _} and {@code \}
     * literally, unlike {@code LIKE}. It is the prefix with its last code point incremented,
     * skipping the surrogate block (no valid key contains a surrogate).
     */
    public static String prefixUpperBound(String prefix) {
        int[] cps = prefix.codePoints().toArray();
        for (int i = cps.length - 1; i >= 0; i--) {
            int c = cps[i];
            if (c < Character.MAX_CODE_POINT) {
                cps[i] = c + 1 == Character.MIN_SURROGATE ? Character.MAX_SURROGATE + 1 : c + 1;
                return new String(cps, 0, i + 1);
            }
        }
        return null;
    }

    /**
     * The byte-string form of {@link #prefixUpperBound(String)}, for engines that store keys as
     * bytes: the smallest byte string greater than every byte string starting with
     * {@code prefix}, or null if there is none (every byte is 0xFF, which valid UTF-8 never has).
     */
    public static byte[] prefixUpperBound(byte[] prefix) {
        for (int i = prefix.length - 1; i >= 0; i--) {
            if ((prefix[i] & 0xFF) != 0xFF) {
                byte[] bound = java.util.Arrays.copyOf(prefix, i + 1);
                bound[i]++;
                return bound;
            }
        }
        return null;
    }
}
