package dev.polystore.dynamodb;

import dev.polystore.Key;
import dev.polystore.StoreException;
import dev.polystore.spi.RawItem;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The item layout (ADR 0018, documented in {@code docs/dynamodb.md}): the same five fields as
 * every engine, plus the write token DynamoDB needs to recognise its own retried writes.
 *
 * <pre>
 * pk   S  partition key (table hash key)
 * sk   S  sort key (table range key)
 * v    N  version: 1 after the first write, +1 on every write since
 * p    B  payload, the encoded value, stored as given
 * exp  N  expiry in epoch seconds (the table's TTL attribute); absent if the item never expires
 * wt   S  write token: random id of the write that produced this item version
 * </pre>
 *
 * Expressions name attributes through placeholders ({@code #pk}, {@code #v}, ...), so no
 * attribute name can clash with DynamoDB's reserved words.
 */
final class Items {
    static final String PK = "pk";
    static final String SK = "sk";
    static final String VERSION = "v";
    static final String PAYLOAD = "p";
    static final String EXPIRES = "exp";
    static final String TOKEN = "wt";

    private static final Map<String, String> NAMES = Map.of(
            "#pk", PK, "#sk", SK, "#v", VERSION, "#p", PAYLOAD, "#exp", EXPIRES, "#wt", TOKEN);
    private static final Pattern NAME_REF = Pattern.compile("#[a-z]+");
    private static final Pattern VALUE_REF = Pattern.compile(":[a-zA-Z0-9_]+");

    // --- condition expressions; all take :now (epoch seconds of the backend's clock) ---

    /** The item exists and has not expired. */
    static final String LIVE = "(attribute_exists(#pk) AND (attribute_not_exists(#exp) OR #exp > :now))";
    /** No item, or an expired one (which counts as absent). */
    static final String ABSENT = "(attribute_not_exists(#pk) OR #exp <= :now)";
    /** No item or a live one: anything but an expired item. */
    static final String NOT_EXPIRED = "(attribute_not_exists(#exp) OR #exp > :now)";
    /** A live item with version :expected. */
    static final String VERSION_IS = "(#v = :expected AND (attribute_not_exists(#exp) OR #exp > :now))";
    /** The item was not written by this write (token :wt); keeps a retried update from applying twice. */
    static final String NOT_MINE = "(attribute_not_exists(#wt) OR #wt <> :wt)";

    private Items() {
    }

    static Map<String, AttributeValue> key(Key key) {
        Map<String, AttributeValue> m = new HashMap<>(4);
        m.put(PK, AttributeValue.fromS(key.pk()));
        m.put(SK, AttributeValue.fromS(key.sk()));
        return m;
    }

    static Map<String, AttributeValue> item(Key key, byte[] payload, long version, Instant expiresAt, String token) {
        Map<String, AttributeValue> m = key(key);
        m.put(VERSION, number(version));
        m.put(PAYLOAD, AttributeValue.fromB(SdkBytes.fromByteArray(payload)));
        if (expiresAt != null) {
            m.put(EXPIRES, number(expiresAt.getEpochSecond()));
        }
        m.put(TOKEN, AttributeValue.fromS(token));
        return m;
    }

    static AttributeValue number(long n) {
        return AttributeValue.fromN(Long.toString(n));
    }

    /** The expression attribute names {@code expressions} use, and only those (DynamoDB rejects unused ones). */
    static Map<String, String> names(String... expressions) {
        Map<String, String> used = new LinkedHashMap<>();
        for (String e : expressions) {
            if (e == null) {
                continue;
            }
            Matcher m = NAME_REF.matcher(e);
            while (m.find()) {
                String name = NAMES.get(m.group());
                if (name == null) {
                    throw new IllegalArgumentException("unknown attribute placeholder " + m.group() + " in " + e);
                }
                used.put(m.group(), name);
            }
        }
        return used;
    }

    /** The entries of {@code values} that {@code expressions} refer to. */
    static Map<String, AttributeValue> values(Map<String, AttributeValue> values, String... expressions) {
        Map<String, AttributeValue> used = new LinkedHashMap<>();
        for (String e : expressions) {
            if (e == null) {
                continue;
            }
            Matcher m = VALUE_REF.matcher(e);
            while (m.find()) {
                AttributeValue v = values.get(m.group());
                if (v == null) {
                    throw new IllegalArgumentException("no value for " + m.group() + " in " + e);
                }
                used.put(m.group(), v);
            }
        }
        return used;
    }

    /** The stored item as the SPI sees it. */
    static RawItem toRaw(Map<String, AttributeValue> item, String table) {
        String pk = string(item, PK, table);
        String sk = string(item, SK, table);
        AttributeValue p = item.get(PAYLOAD);
        if (p == null || p.b() == null) {
            throw corrupt(pk, sk, table, PAYLOAD, "binary (B)");
        }
        return new RawItem(Key.of(pk, sk), p.b().asByteArray(), version(item, pk, sk, table), expiresAt(item));
    }

    static long version(Map<String, AttributeValue> item, String pk, String sk, String table) {
        AttributeValue v = item.get(VERSION);
        try {
            return Long.parseLong(v.n());
        } catch (RuntimeException e) {
            throw corrupt(pk, sk, table, VERSION, "a whole number (N)");
        }
    }

    /** The version of an item map, or -1 if it has none. */
    static long versionOrNone(Map<String, AttributeValue> item) {
        AttributeValue v = item == null ? null : item.get(VERSION);
        if (v == null || v.n() == null) {
            return -1;
        }
        try {
            return Long.parseLong(v.n());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static Instant expiresAt(Map<String, AttributeValue> item) {
        AttributeValue exp = item.get(EXPIRES);
        if (exp == null || exp.n() == null) {
            return null;
        }
        return Instant.ofEpochSecond(new java.math.BigDecimal(exp.n()).longValue());
    }

    /** Whether an item map (possibly null or empty) is a live item at {@code nowSeconds}. */
    static boolean live(Map<String, AttributeValue> item, long nowSeconds) {
        if (item == null || item.isEmpty() || !item.containsKey(PK)) {
            return false;
        }
        Instant exp = expiresAt(item);
        return exp == null || exp.getEpochSecond() > nowSeconds;
    }

    static String token(Map<String, AttributeValue> item) {
        AttributeValue t = item == null ? null : item.get(TOKEN);
        return t == null ? null : t.s();
    }

    private static String string(Map<String, AttributeValue> item, String name, String table) {
        AttributeValue v = item.get(name);
        if (v == null || v.s() == null) {
            throw new StoreException("item in DynamoDB table '" + table + "' has no string attribute '" + name
                    + "'; it was not written by Polystore (see docs/dynamodb.md for the item layout)");
        }
        return v.s();
    }

    private static StoreException corrupt(String pk, String sk, String table, String attribute, String expected) {
        return new StoreException("item (" + pk + ", " + sk + ") in DynamoDB table '" + table + "' has no valid '"
                + attribute + "' attribute: expected " + expected + " (see docs/dynamodb.md for the item layout)");
    }
}
