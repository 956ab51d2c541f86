package dev.polystore.redis;

import dev.polystore.Key;
import dev.polystore.KeyRange;
import dev.polystore.spi.SortKeys;
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
        String escaped = pk.indexOf('%') < 0 && pk.indexOf('}') < 0 ? pk : pk.replace("%", "%25").replace("}", "%7D");
        byte[] body = escaped.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[prefix.length + body.length + 2];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        out[prefix.length] = '{';
        System.arraycopy(body, 0, out, prefix.length + 1, body.length);
        out[out.length - 1] = '}';
        return out;
    }

    /** The hash of one item. */
    byte[] item(String table, Key key) {
        return item(tag(key.pk()), table, key.sk());
    }

    /** The hash of one item, from its partition's {@link #tag}. */
    static byte[] item(byte[] tag, String table, String sk) {
        return concat(itemBase(tag, table), SortKeys.utf8(sk));
    }

    /** The item key without its sort key: item key = base + UTF-8 sort key. */
    byte[] itemBase(String table, String pk) {
        return itemBase(tag(pk), table);
    }

    static byte[] itemBase(byte[] tag, String table) {
        return concat(tag, ("i:" + table + ":").getBytes(StandardCharsets.US_ASCII));
    }

    /** The sorted set indexing a partition of a store. */
    byte[] index(String table, String pk) {
        return index(tag(pk), table);
    }

    static byte[] index(byte[] tag, String table) {
        return concat(tag, ("z:" + table).getBytes(StandardCharsets.US_ASCII));
    }

    /** The outcome record of one write to the partition. */
    byte[] record(String pk, String writeId) {
        return record(tag(pk), writeId);
    }

    static byte[] record(byte[] tag, String writeId) {
        return concat(tag, ("w:" + writeId).getBytes(StandardCharsets.US_ASCII));
    }

    // ------------------------------------------------------------------ scans

    /** A partition index key read back: the store and the partition key, or null if {@code key} is not one. */
    record Index(String table, String pk) {
    }

    /**
     * The {@code SCAN … MATCH} pattern of the partition indexes of {@code table} (or of every
     * store, for null) under this prefix. Wider than the layout (a sort key may contain
     * {@code }z:}); {@link #parseIndex} decides.
     */
    String indexPattern(String table) {
        StringBuilder p = new StringBuilder();
        for (char c : new String(prefix, StandardCharsets.UTF_8).toCharArray()) {
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                p.append('\\');
            }
            p.append(c);
        }
        return p.append("{*}z:").append(table == null ? "*" : table).toString();
    }

    /** The store and partition key of a partition index key of this prefix, or null if {@code key} is another key. */
    Index parseIndex(byte[] key) {
        if (key.length < prefix.length + 5) {
            return null;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (key[i] != prefix[i]) {
                return null;
            }
        }
        if (key[prefix.length] != '{') {
            return null;
        }
        int close = -1;
        for (int i = prefix.length + 1; i < key.length; i++) {
            if (key[i] == '}') {
                close = i;
                break;
            }
        }
        if (close < 0 || close + 3 > key.length || key[close + 1] != 'z' || key[close + 2] != ':') {
            return null;
        }
        String table = new String(key, close + 3, key.length - close - 3, StandardCharsets.UTF_8);
        String escaped = new String(key, prefix.length + 1, close - prefix.length - 1, StandardCharsets.UTF_8);
        StringBuilder pk = new StringBuilder(escaped.length());
        for (int i = 0; i < escaped.length(); i++) {
            char c = escaped.charAt(i);
            if (c == '%' && escaped.startsWith("%25", i)) {
                pk.append('%');
                i += 2;
            } else if (c == '%' && escaped.startsWith("%7D", i)) {
                pk.append('}');
                i += 2;
            } else {
                pk.append(c);
            }
        }
        return new Index(table, pk.toString());
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
