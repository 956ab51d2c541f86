package dev.polystore.internal;

import dev.polystore.Key;
import dev.polystore.KeyRange;
import dev.polystore.Limits;
import dev.polystore.ValidationException;
import java.util.regex.Pattern;

/** The portable key rules, UTF-8 lengths and UTF-8 ordering, shared by the API layer and backends. */
public final class Keys {
    private static final Pattern TABLE = Pattern.compile("[a-z][a-z0-9_]{0,47}");

    private Keys() {
    }

    /** Checks a store (table) name: {@code [a-z][a-z0-9_]{0,47}}. */
    public static String requireTableName(String name) {
        if (name == null || !TABLE.matcher(name).matches()) {
            throw new ValidationException("store name \"" + name + "\" is not allowed: use 1 to 48 lower-case letters, "
                    + "digits and '_', starting with a letter");
        }
        return name;
    }

    public static void requireValid(Key key) {
        requirePk(key.pk());
        requireSk(key.sk());
    }

    public static void requirePk(String pk) {
        requireKeyPart("partition key", pk, Limits.MAX_PK_BYTES);
    }

    public static void requireSk(String sk) {
        requireKeyPart("sort key", sk, Limits.MAX_SK_BYTES);
    }

    private static void requireKeyPart(String what, String value, int maxBytes) {
        if (value == null) {
            throw new ValidationException(what + " must not be null");
        }
        if (value.isEmpty()) {
            throw new ValidationException(what + " must not be empty");
        }
        int bytes = utf8Length(value, what);
        if (bytes > maxBytes) {
            throw new ValidationException(what + " is " + bytes + " bytes in UTF-8; the portable limit is " + maxBytes
                    + " bytes (starts with \"" + abbreviate(value) + "\")");
        }
    }

    /** Checks a query bound or prefix: the same rules as a sort key. */
    public static void requireValid(KeyRange range) {
        if (range instanceof KeyRange.Prefix p) {
            requireKeyPart("sort key prefix", p.prefix(), Limits.MAX_SK_BYTES);
        } else if (range instanceof KeyRange.Between b) {
            requireKeyPart("range start", b.from(), Limits.MAX_SK_BYTES);
            requireKeyPart("range end", b.to(), Limits.MAX_SK_BYTES);
            if (compareUtf8(b.from(), b.to()) > 0) {
                throw new ValidationException("range start \"" + abbreviate(b.from()) + "\" sorts after range end \""
                        + abbreviate(b.to()) + "\" (sort keys compare by UTF-8 bytes)");
            }
        } else if (range instanceof KeyRange.AtLeast a) {
            requireKeyPart("range start", a.from(), Limits.MAX_SK_BYTES);
        } else if (range instanceof KeyRange.AtMost a) {
            requireKeyPart("range end", a.to(), Limits.MAX_SK_BYTES);
        }
    }

    /**
     * The UTF-8 length of {@code s}.
     *
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

    /** The UTF-8 length of a string already known to be valid. */
    public static int utf8Length(String s) {
        return utf8Length(s, "string");
    }

    /**
     * Compares by UTF-8 bytes, which for valid strings is code-point order. Differs from
     * {@link String#compareTo} (UTF-16 order) for characters above U+FFFF.
     */
    public static int compareUtf8(String a, String b) {
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

    /** Whether {@code sk} falls in {@code range}, by UTF-8 order and literal prefix. */
    public static boolean inRange(String sk, KeyRange range) {
        if (range instanceof KeyRange.All) {
            return true;
        } else if (range instanceof KeyRange.Prefix p) {
            return sk.startsWith(p.prefix());
        } else if (range instanceof KeyRange.Between b) {
            return compareUtf8(sk, b.from()) >= 0 && compareUtf8(sk, b.to()) <= 0;
        } else if (range instanceof KeyRange.AtLeast a) {
            return compareUtf8(sk, a.from()) >= 0;
        } else if (range instanceof KeyRange.AtMost a) {
            return compareUtf8(sk, a.to()) <= 0;
        }
        throw new IllegalArgumentException("unknown range " + range);
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
