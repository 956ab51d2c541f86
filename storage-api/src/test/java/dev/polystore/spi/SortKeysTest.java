package dev.polystore.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.KeyRange;
import dev.polystore.ValidationException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SortKeysTest {
    private static final String MAX = new String(Character.toChars(Character.MAX_CODE_POINT));

    @Test
    void compareIsUtf8ByteOrderNotUtf16Order() {
        String halfwidth = "\uff61";
        String supplementary = new String(Character.toChars(0x10002));
        assertTrue(SortKeys.compare(halfwidth, supplementary) < 0, "U+FF61 sorts before U+10002 by UTF-8 bytes");
        assertTrue(halfwidth.compareTo(supplementary) > 0, "String.compareTo orders them the other way");
        Random random = new Random(7);
        List<String> samples = new ArrayList<>();
        int[] pool = {'a', '%', 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xff61, 0xffff, 0x10000, 0x10002, 0x10ffff};
        for (int i = 0; i < 2000; i++) {
            StringBuilder sb = new StringBuilder();
            for (int n = 1 + random.nextInt(4); n > 0; n--) {
                sb.appendCodePoint(pool[random.nextInt(pool.length)]);
            }
            samples.add(sb.toString());
        }
        for (int i = 1; i < samples.size(); i++) {
            String a = samples.get(i - 1);
            String b = samples.get(i);
            int bytes = Integer.signum(SortKeys.compare(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));
            assertEquals(bytes, Integer.signum(SortKeys.compare(a, b)), () -> "order of " + a + " and " + b);
            assertEquals(a.getBytes(StandardCharsets.UTF_8).length, SortKeys.utf8Length(a));
        }
    }

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
    void byteBoundIncrementsTheLastByteBelow0xFf() {
        assertArrayEquals(new byte[] {'a', 'c'}, SortKeys.prefixUpperBound(new byte[] {'a', 'b'}));
        assertArrayEquals(new byte[] {'b'}, SortKeys.prefixUpperBound(new byte[] {'a', (byte) 0xff}));
        assertNull(SortKeys.prefixUpperBound(new byte[] {(byte) 0xff, (byte) 0xff}));
    }

    @Test
    void rangesAndLengths() {
        assertTrue(SortKeys.inRange("a%b", KeyRange.prefix("a%")));
        assertTrue(!SortKeys.inRange("axb", KeyRange.prefix("a%")), "prefix characters are literal");
        assertTrue(SortKeys.inRange("b", KeyRange.between("a", "b")));
        assertThrows(ValidationException.class, () -> SortKeys.utf8Length("a\u0000", "sort key"));
        assertThrows(ValidationException.class, () -> SortKeys.utf8Length("\ud800", "sort key"));
        assertTrue(TableNames.isValid("kit_1"));
        assertThrows(ValidationException.class, () -> TableNames.require("Kit"));
    }
}
