package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.polystore.Direction;
import dev.polystore.Item;
import dev.polystore.KeyRange;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.internal.Keys;
import dev.polystore.spi.SortKeys;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sort keys are TEXT compared with SQLite's BINARY collation in a UTF-8 file; these tests hold
 * that to UTF-8 byte order, including the prefix upper bound at the edges of Unicode.
 */
class KeyOrderTest {
    private static final String MAX = new String(Character.toChars(Character.MAX_CODE_POINT));
    private static final String[] ALPHABET = {"a", "b", "%", "_", "\\", "\u007f", "\u0080", "\u07ff", "\u0800",
        "\ud7ff", "\ue000", "\uff61", "\uffff", new String(Character.toChars(0x10000)),
        new String(Character.toChars(0x10002)), MAX};

    @TempDir
    Path dir;

    @Test
    void prefixUpperBoundIsTheNextStringInCodePointOrder() {
        assertEquals("b", SortKeys.prefixUpperBound("a"));
        assertEquals("ab", SortKeys.prefixUpperBound("aa"));
        assertEquals("\ue000", SortKeys.prefixUpperBound("\ud7ff"), "the surrogate block is skipped");
        assertEquals(new String(Character.toChars(0x10000)), SortKeys.prefixUpperBound("\uffff"));
        assertEquals("b", SortKeys.prefixUpperBound("a" + MAX), "a trailing U+10FFFF carries into the previous character");
        assertNull(SortKeys.prefixUpperBound(MAX + MAX), "no string follows every string starting with U+10FFFF");
    }

    @Test
    void keysAreStoredAsStandardUtf8() throws Exception {
        Path db = dir.resolve("bytes.db");
        try (Storage storage = Sqlite.open(db)) {
            await(Sqlite.strings(storage).put(Item.of("p", "a\uD83D\uDE00\uFF61", "v")));
        }
        try (Connection c = Sqlite.raw(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT typeof(sk), hex(sk) FROM store_kit")) {
            assertEquals("text", rs.getString(1));
            // 4-byte UTF-8 for U+1F600 (not CESU-8 surrogate halves), so BINARY order is code-point order.
            assertEquals("61F09F9880EFBDA1", rs.getString(2));
        }
    }

    @Test
    void queriesMatchTheReferenceOrderOnRandomKeys() {
        Random random = new Random(20261122);
        Set<String> keys = new LinkedHashSet<>();
        while (keys.size() < 300) {
            keys.add(randomKey(random, 1 + random.nextInt(4)));
        }
        List<String> sorted = new ArrayList<>(keys);
        sorted.sort(Keys::compareUtf8);
        try (Storage storage = Sqlite.open(dir.resolve("o.db"))) {
            Store<String> s = Sqlite.strings(storage);
            List<CompletableFuture<?>> puts = new ArrayList<>();
            for (String k : keys) {
                puts.add(s.put(Item.of("p", k, k)));
            }
            puts.forEach(Sqlite::await);

            assertEquals(sorted, readAll(s, Query.partition("p").limit(7)), "all keys, ascending");
            List<String> descending = new ArrayList<>(sorted);
            Collections.reverse(descending);
            assertEquals(descending, readAll(s, Query.partition("p").limit(11).direction(Direction.DESCENDING)));

            for (int i = 0; i < 150; i++) {
                KeyRange range = randomRange(random);
                Direction direction = random.nextBoolean() ? Direction.ASCENDING : Direction.DESCENDING;
                List<String> expected = new ArrayList<>(sorted.stream().filter(k -> Keys.inRange(k, range)).toList());
                if (direction == Direction.DESCENDING) {
                    Collections.reverse(expected);
                }
                Query q = Query.partition("p").range(range).direction(direction).limit(1 + random.nextInt(20));
                assertEquals(expected, readAll(s, q), () -> range + " " + direction);
            }
        }
    }

    private static KeyRange randomRange(Random random) {
        String a = randomKey(random, 1 + random.nextInt(2));
        String b = randomKey(random, 1 + random.nextInt(2));
        if (Keys.compareUtf8(a, b) > 0) {
            String t = a;
            a = b;
            b = t;
        }
        return switch (random.nextInt(4)) {
            case 0 -> KeyRange.prefix(a);
            case 1 -> KeyRange.between(a, b);
            case 2 -> KeyRange.atLeast(a);
            default -> KeyRange.atMost(b);
        };
    }

    private static String randomKey(Random random, int length) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            sb.append(ALPHABET[random.nextInt(ALPHABET.length)]);
        }
        return sb.toString();
    }

    private static List<String> readAll(Store<String> s, Query query) {
        List<String> seen = new ArrayList<>();
        await(s.forEach(query, item -> seen.add(item.sk())));
        return seen;
    }
}
