package dev.polystore.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.KeyRange;
import dev.polystore.ValidationException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class KeysTest {
    private static String randomString(Random r) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(6);
        for (int i = 0; i < n; i++) {
            int kind = r.nextInt(5);
            int cp = switch (kind) {
                case 0 -> 0x20 + r.nextInt(0x5F);
                case 1 -> 0x80 + r.nextInt(0x780);
                case 2 -> 0xE000 + r.nextInt(0x2000);
                case 3 -> 0x10000 + r.nextInt(0x100000);
                default -> 0x800 + r.nextInt(0xD000);
            };
            if (cp >= 0xD800 && cp <= 0xDFFF) {
                cp = 0x41;
            }
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    @Test
    void compareUtf8AgreesWithByteComparisonOnRandomStrings() {
        Random r = new Random(42);
        int disagreementsWithJava = 0;
        for (int i = 0; i < 100_000; i++) {
            String a = randomString(r);
            String b = randomString(r);
            int bytes = Integer.signum(Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));
            assertEquals(bytes, Integer.signum(Keys.compareUtf8(a, b)), () -> "order of " + a + " vs " + b);
            if (Integer.signum(a.compareTo(b)) != bytes) {
                disagreementsWithJava++;
            }
        }
        assertTrue(disagreementsWithJava > 0, "the sample must include cases where UTF-16 order differs");
    }

    @Test
    void utf8LengthMatchesEncoder() {
        Random r = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            String s = randomString(r);
            assertEquals(s.getBytes(StandardCharsets.UTF_8).length, Keys.utf8Length(s, "s"));
        }
    }

    @Test
    void invalidStringsAreRejected() {
        assertThrows(ValidationException.class, () -> Keys.utf8Length("a\uD800", "k"));
        assertThrows(ValidationException.class, () -> Keys.utf8Length("\uDC00", "k"));
        assertThrows(ValidationException.class, () -> Keys.utf8Length("a\u0000", "k"));
    }

    @Test
    void inRangeFollowsUtf8Order() {
        String u10002 = new String(Character.toChars(0x10002));
        assertTrue(Keys.inRange("\uFFFF", KeyRange.between("\uFF61", u10002)));
        assertTrue(!Keys.inRange(u10002, KeyRange.atMost("\uFFFF")));
        assertTrue(Keys.inRange("a%b", KeyRange.prefix("a%")));
        assertTrue(!Keys.inRange("axb", KeyRange.prefix("a_")));
    }
}
