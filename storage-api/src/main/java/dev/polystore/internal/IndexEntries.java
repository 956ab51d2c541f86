package dev.polystore.internal;

import dev.polystore.Key;
import dev.polystore.KeyRange;
import dev.polystore.Limits;
import dev.polystore.StoreException;
import dev.polystore.ValidationException;
import dev.polystore.spi.SortKeys;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The stored form of secondary indexes, in the indexed store's own table (so that copying a table
 * copies its indexes, and every engine stores them the same way):
 *
 * <pre>
 * pk ~ix/                     sk catalog            the store's index catalog (JSON)
 * pk ~ix/                     sk build/&lt;index&gt;      progress of a running build (JSON)
 * pk ~ix/&lt;index&gt;/&lt;key&gt;       sk &lt;entry&gt;           one entry of a non-unique index
 * pk ~ix/&lt;index&gt;/&lt;key&gt;       sk =                  the entry of a unique index
 * </pre>
 *
 * An entry's sort key is {@code enc(sort) 01 01 enc(pk) 01 01 enc(sk)} for a sorted index and
 * {@code enc(pk) 01 01 enc(sk)} otherwise, where {@code enc} doubles nothing but writes U+0001 as
 * U+0001 U+0002: UTF-8 order of entry sort keys is then the order of (sort key, item pk, item sk),
 * every entry of one item is distinct, and for keys without U+0001 (all real ones) the entry reads
 * plainly. An entry's payload is a copy of the item: {@code 01 | u16 len | item pk | u16 len |
 * item sk | i64 item version | item payload}; its expiry is the item's.
 */
final class IndexEntries {
    /** Partition keys starting with this are reserved on indexed stores. */
    static final String RESERVED_PREFIX = "~ix/";
    static final String META_PK = RESERVED_PREFIX;
    static final Key CATALOG_KEY = new Key(META_PK, "catalog");
    static final String UNIQUE_SK = "=";
    static final String SEPARATOR = "\u0001\u0001";
    private static final String ESCAPE = "\u0001\u0002";
    /** Just above every entry sort key that starts with {@code enc(x) + SEPARATOR}; no entry sort key equals it. */
    private static final String AFTER_SEPARATOR = "\u0001\u0002";
    private static final byte FORMAT = 1;
    /** Entry payload header beyond the item's key bytes: format, two lengths, version. */
    static final int HEADER_BYTES = 1 + 2 + 2 + 8;

    private IndexEntries() {
    }

    static Key buildKey(String index) {
        return new Key(META_PK, "build/" + index);
    }

    static boolean reserved(String pk) {
        return pk.startsWith(RESERVED_PREFIX);
    }

    static String entryPk(String index, String indexKey) {
        return RESERVED_PREFIX + index + "/" + indexKey;
    }

    /** The entry sort key of an item; {@code sort} is null for an index without sort key. */
    static String entrySk(String sort, Key item) {
        String tail = escape(item.pk()) + SEPARATOR + escape(item.sk());
        return sort == null ? tail : escape(sort) + SEPARATOR + tail;
    }

    static String escape(String s) {
        return s.indexOf('\u0001') < 0 ? s : s.replace("\u0001", ESCAPE);
    }

    /**
     * The entry sort-key range that holds exactly the entries whose sort key is in {@code range}
     * (bounds compare by UTF-8 bytes, inclusive, like every key range).
     */
    static KeyRange entryRange(KeyRange range) {
        if (range instanceof KeyRange.All) {
            return range;
        } else if (range instanceof KeyRange.Prefix p) {
            return KeyRange.prefix(checkBound(escape(p.prefix())));
        } else if (range instanceof KeyRange.Between b) {
            return KeyRange.between(checkBound(escape(b.from()) + SEPARATOR), checkBound(escape(b.to()) + AFTER_SEPARATOR));
        } else if (range instanceof KeyRange.AtLeast a) {
            return KeyRange.atLeast(checkBound(escape(a.from()) + SEPARATOR));
        } else if (range instanceof KeyRange.AtMost a) {
            return KeyRange.atMost(checkBound(escape(a.to()) + AFTER_SEPARATOR));
        }
        throw new IllegalArgumentException("unknown key range " + range);
    }

    private static String checkBound(String bound) {
        int bytes = SortKeys.utf8Length(bound);
        if (bytes > Limits.MAX_SK_BYTES) {
            throw new ValidationException("an index sort-key bound of " + bytes + " bytes (as stored) is longer than "
                    + "any indexable sort key: an entry's sort key, item key included, is at most "
                    + Limits.MAX_SK_BYTES + " bytes");
        }
        return bound;
    }

    /** A copy of the item as an entry payload. */
    static byte[] payload(Key item, long itemVersion, byte[] itemPayload) {
        byte[] pk = item.pk().getBytes(StandardCharsets.UTF_8);
        byte[] sk = item.sk().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + pk.length + sk.length + itemPayload.length);
        b.put(FORMAT).putShort((short) pk.length).put(pk).putShort((short) sk.length).put(sk).putLong(itemVersion)
                .put(itemPayload);
        return b.array();
    }

    /** The size of {@link #payload} without building it. */
    static int payloadSize(Key item, int itemPayloadBytes) {
        return HEADER_BYTES + SortKeys.utf8Length(item.pk()) + SortKeys.utf8Length(item.sk()) + itemPayloadBytes;
    }

    /** An item copied into an entry. */
    record Copy(Key key, long version, byte[] payload) {
    }

    static Copy decode(String table, Key entry, byte[] bytes) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            if (b.get() != FORMAT) {
                throw new IllegalArgumentException("unknown entry format " + bytes[0]);
            }
            byte[] pk = new byte[b.getShort() & 0xFFFF];
            b.get(pk);
            byte[] sk = new byte[b.getShort() & 0xFFFF];
            b.get(sk);
            long version = b.getLong();
            byte[] payload = new byte[b.remaining()];
            b.get(payload);
            return new Copy(new Key(new String(pk, StandardCharsets.UTF_8), new String(sk, StandardCharsets.UTF_8)),
                    version, payload);
        } catch (RuntimeException e) {
            throw new StoreException("index entry " + entry + " of store '" + table + "' is not in the entry format "
                    + "(written by something other than Polystore's index maintenance?): " + e, e);
        }
    }
}
