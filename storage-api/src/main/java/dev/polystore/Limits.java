package dev.polystore;

/**
 * The portable limits, the same on every backend (they are DynamoDB's), so that what works
 * on embedded SQLite in development does not fail on DynamoDB in production.
 *
 * <ul>
 *   <li>Keys are non-empty strings of Unicode scalar values: no unpaired surrogates and no
 *       U+0000.</li>
 *   <li>A partition key is at most {@value #MAX_PK_BYTES} bytes in UTF-8, a sort key at most
 *       {@value #MAX_SK_BYTES}.</li>
 *   <li>An item's encoded size, {@code utf8(pk) + utf8(sk) + payload + }{@value #ITEM_OVERHEAD_BYTES}
 *       (room reserved for the version, expiry and attribute names), is at most
 *       {@value #MAX_ITEM_BYTES} bytes (400 KiB).</li>
 *   <li>Sort keys are ordered by their UTF-8 bytes (which differs from {@link String#compareTo}
 *       for characters above U+FFFF).</li>
 *   <li>A prefix query matches characters literally: {@code %}, {@code _}, {@code \} and
 *       {@code *} are not wildcards.</li>
 * </ul>
 */
public final class Limits {
    /** Maximum partition key length in UTF-8 bytes. */
    public static final int MAX_PK_BYTES = 2048;
    /** Maximum sort key length in UTF-8 bytes. */
    public static final int MAX_SK_BYTES = 1024;
    /** Maximum encoded item size in bytes (400 KiB). */
    public static final int MAX_ITEM_BYTES = 400 * 1024;
    /** Bytes each item reserves for engine metadata (version, expiry, attribute names). */
    public static final int ITEM_OVERHEAD_BYTES = 128;
    /** Largest payload an item with one-byte keys can carry. */
    public static final int MAX_PAYLOAD_BYTES_WITH_SHORTEST_KEYS = MAX_ITEM_BYTES - ITEM_OVERHEAD_BYTES - 2;
    /** Maximum page size of a query. */
    public static final int MAX_PAGE_SIZE = 1000;
    /** Page size used when a query does not set one. */
    public static final int DEFAULT_PAGE_SIZE = 100;

    private Limits() {
    }

    /** The encoded size of an item with these keys and payload length, as the limit counts it. */
    public static long itemSize(int pkBytes, int skBytes, int payloadBytes) {
        return (long) pkBytes + skBytes + payloadBytes + ITEM_OVERHEAD_BYTES;
    }
}
