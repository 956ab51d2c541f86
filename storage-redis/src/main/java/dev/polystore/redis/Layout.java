package dev.polystore.redis;

import dev.polystore.Key;
import dev.polystore.KeyRange;
import dev.polystore.spi.SortKeys;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Where items live in Redis (docs/redis.md#layout). Every key of one partition key carries the
 * same hash tag, so a partition — its items in every store, its index and the records of writes
 * to it — lives in one Redis Cluster slot:
 *
 * <pre>
 *   &lt;prefix&gt;{&lt;pk&gt;}i:&lt;store&gt;:&lt;sk&gt;   hash: p = payload, v = version, e = expiry (epoch seconds; absent = never)
 *   &lt;prefix&gt;{&lt;pk&gt;}z:&lt;store&gt;        sorted set: every sort key of the partition as a member, score 0
 *   &lt;prefix&gt;{&lt;pk&gt;}w:&lt;write id&gt;     string: a write's outcome, kept for the replay window
 * </pre>
 *
 * Inside the braces the partition key is written with {@code %} as {@code %25} and {@code }}
 * as {@code %7D}, so the first {@code }} always closes the tag and two partition keys never share
 * a tag. Store names ({@code [a-z][a-z0-9_]*}) hold no {@code :}, so the sort key is exactly
 * what follows the second {@code :}. Sorted-set members with equal scores compare as bytes
 * ({@code ZRANGEBYLEX}), which for UTF-8 is the portable sort-key order.
 *
 * <p>Stateless apart from the prefix; thread-safe.
 */
final class Layout {
    private final byte[] prefix;

    Layout(String keyPrefix) {
        this.prefix = keyPrefix.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code <prefix>{<escaped pk>}}, the part every key of the partition starts with. */
    byte[] tag(String pk) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(prefix.length + pk.length() + 8);
        out.writeBytes(prefix);
        out.write('{');
        for (int i = 0; i < pk.length(); ) {
            int cp = pk.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '%') {
                out.writeBytes(new byte[] {'%', '2', '5'});
            } else if (cp == '}') {
                out.writeBytes(new byte[] {'%', '7', 'D'});
            } else {
                out.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
            }
        }
        out.write('}');
        return out.toByteArray();
    }

    /** The hash of one item. */
    byte[] item(String table, Key key) {
        return concat(itemBase(table, key.pk()), SortKeys.utf8(key.sk()));
    }

    /** The item key without its sort key: item key = base + UTF-8 sort key. */
    byte[] itemBase(String table, String pk) {
        return concat(tag(pk), ("i:" + table + ":").getBytes(StandardCharsets.US_ASCII));
    }

    /** The sorted set indexing a partition of a store. */
    byte[] index(String table, String pk) {
        return concat(tag(pk), ("z:" + table).getBytes(StandardCharsets.US_ASCII));
    }

    /** The outcome record of one write to the partition. */
    byte[] record(String pk, String writeId) {
        return concat(tag(pk), ("w:" + writeId).getBytes(StandardCharsets.US_ASCII));
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    // ------------------------------------------------------------------ lexicographic bounds

    static final byte[] MINUS = {'-'};
    static final byte[] PLUS = {'+'};

    /**
     * The {@code ZRANGEBYLEX} bounds of a query, {@code {min, max}}: {@code [x} inclusive,
     * {@code (x} exclusive, {@code -}/{@code +} open. A prefix becomes the half-open range
     * {@code [prefix} … {@code (upper bound)}; a resumption point narrows the side the query
     * moves away from.
     */
    static byte[][] bounds(KeyRange range, boolean ascending, String exclusiveStartSk) {
        byte[] min;
        byte[] max;
        if (range instanceof KeyRange.All) {
            min = MINUS;
            max = PLUS;
        } else if (range instanceof KeyRange.Prefix p) {
            if (p.prefix().isEmpty()) {
                min = MINUS;
                max = PLUS;
            } else {
                byte[] bytes = SortKeys.utf8(p.prefix());
                min = bound('[', bytes);
                byte[] upper = SortKeys.prefixUpperBound(bytes);
                max = upper == null ? PLUS : bound('(', upper);
            }
        } else if (range instanceof KeyRange.Between b) {
            min = bound('[', SortKeys.utf8(b.from()));
            max = bound('[', SortKeys.utf8(b.to()));
        } else if (range instanceof KeyRange.AtLeast a) {
            min = bound('[', SortKeys.utf8(a.from()));
            max = PLUS;
        } else if (range instanceof KeyRange.AtMost a) {
            min = MINUS;
            max = bound('[', SortKeys.utf8(a.to()));
        } else {
            throw new IllegalArgumentException("unknown range " + range);
        }
        if (exclusiveStartSk != null) {
            byte[] start = SortKeys.utf8(exclusiveStartSk);
            if (ascending) {
                if (min == MINUS || SortKeys.compare(start, body(min)) >= 0) {
                    min = bound('(', start);
                }
            } else if (max == PLUS || SortKeys.compare(start, body(max)) < 0
                    || (max[0] == '[' && SortKeys.compare(start, body(max)) == 0)) {
                max = bound('(', start);
            }
        }
        return new byte[][] {min, max};
    }

    private static byte[] bound(char kind, byte[] value) {
        byte[] out = new byte[value.length + 1];
        out[0] = (byte) kind;
        System.arraycopy(value, 0, out, 1, value.length);
        return out;
    }

    private static byte[] body(byte[] bound) {
        return java.util.Arrays.copyOfRange(bound, 1, bound.length);
    }
}
