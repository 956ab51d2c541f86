package dev.polystore.internal;

import dev.polystore.Key;
import dev.polystore.KeyRange;
import dev.polystore.Limits;
import dev.polystore.ValidationException;
import dev.polystore.spi.SortKeys;
import dev.polystore.spi.TableNames;

/** The portable key rules, UTF-8 lengths and UTF-8 ordering, shared by the API layer and backends. */
public final class Keys {
    private Keys() {
    }

    /** Checks a store (table) name: {@code [a-z][a-z0-9_]{0,47}}. */
    public static String requireTableName(String name) {
        return TableNames.require(name);
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

    /** The UTF-8 length of {@code s}; see {@link SortKeys#utf8Length(String, String)}. */
    public static int utf8Length(String s, String what) {
        return SortKeys.utf8Length(s, what);
    }

    /** The UTF-8 length of a string already known to be valid. */
    public static int utf8Length(String s) {
        return SortKeys.utf8Length(s);
    }

    /** Compares by UTF-8 bytes; see {@link SortKeys#compare(String, String)}. */
    public static int compareUtf8(String a, String b) {
        return SortKeys.compare(a, b);
    }

    /** Whether {@code sk} falls in {@code range}; see {@link SortKeys#inRange}. */
    public static boolean inRange(String sk, KeyRange range) {
        return SortKeys.inRange(sk, range);
    }

    static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
