package dev.polystore.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.ConfigurationException;
import dev.polystore.Direction;
import dev.polystore.KeyRange;
import dev.polystore.Limits;
import dev.polystore.ValidationException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cursor format itself; the kit's cursor fuzz checks the same rules through the API on every backend. */
class CursorsTest {
    private static final Cursors DEFAULT = Cursors.withDefaultSecret();
    private static final KeyRange RANGE = KeyRange.prefix("a");
    private static final String SK = "a\uD83D\uDE00\n2";

    private static String decode(Cursors cursors, String cursor) {
        return cursors.decode(cursor, "t", "pk", RANGE, Direction.ASCENDING);
    }

    @Test
    void roundTripsAndIsUrlSafe() {
        String c = DEFAULT.encode("t", "pk", RANGE, Direction.ASCENDING, SK);
        assertEquals(SK, decode(DEFAULT, c));
        assertTrue(c.matches("[A-Za-z0-9_-]+"), "URL-safe base64 without padding: " + c);
        assertNotEquals(c, DEFAULT.encode("t", "pk", RANGE, Direction.ASCENDING, SK), "a fresh nonce per cursor");
    }

    @Test
    void opensOnlyForItsQuery() {
        String c = DEFAULT.encode("t", "pk", RANGE, Direction.ASCENDING, SK);
        assertThrows(ValidationException.class, () -> DEFAULT.decode(c, "t", "pk2", RANGE, Direction.ASCENDING));
        assertThrows(ValidationException.class, () -> DEFAULT.decode(c, "u", "pk", RANGE, Direction.ASCENDING));
        assertThrows(ValidationException.class, () -> DEFAULT.decode(c, "t", "pk", KeyRange.all(), Direction.ASCENDING));
        assertThrows(ValidationException.class, () -> DEFAULT.decode(c, "t", "pk", KeyRange.atLeast("a"), Direction.ASCENDING));
        assertThrows(ValidationException.class, () -> DEFAULT.decode(c, "t", "pk", RANGE, Direction.DESCENDING));
        // Length-prefixed fields: moving a character from the store name to the partition key is another query.
        String c2 = DEFAULT.encode("ab", "c", KeyRange.all(), Direction.ASCENDING, "x");
        assertThrows(ValidationException.class, () -> DEFAULT.decode(c2, "a", "bc", KeyRange.all(), Direction.ASCENDING));
        String c3 = DEFAULT.encode("t", "p", KeyRange.between("a", "bc"), Direction.ASCENDING, "b");
        assertThrows(ValidationException.class, () -> DEFAULT.decode(c3, "t", "p", KeyRange.between("ab", "c"), Direction.ASCENDING));
    }

    @Test
    void secretsSeparateCursorsAndSameSecretsShareThem() {
        String secret = "0123456789abcdef0123456789abcdef";
        Cursors one = Cursors.withSecret(secret);
        Cursors sameAgain = Cursors.withSecret(secret);
        Cursors other = Cursors.withSecret(secret + "!");
        String c = one.encode("t", "pk", RANGE, Direction.ASCENDING, SK);
        assertEquals(SK, decode(sameAgain, c), "another instance with the same secret opens it");
        assertThrows(ValidationException.class, () -> decode(other, c));
        assertThrows(ValidationException.class, () -> decode(DEFAULT, c));
        assertThrows(ValidationException.class, () -> decode(one, DEFAULT.encode("t", "pk", RANGE, Direction.ASCENDING, SK)));
        assertTrue(one.secretConfigured());
        assertFalse(DEFAULT.secretConfigured());
    }

    @Test
    void revealsNoKey() {
        String sk = "a-sort-key-someone-might-find-in-a-url-log";
        byte[] raw = Base64.getUrlDecoder().decode(DEFAULT.encode("t", "pk", RANGE, Direction.ASCENDING, sk));
        String asText = new String(raw, StandardCharsets.ISO_8859_1);
        for (String part : List.of("sort-key", "url-log", "someone")) {
            assertFalse(asText.contains(part), "the cursor shows the sort key in clear");
        }
    }

    @Test
    void everyAlterationIsRefused() {
        String c = DEFAULT.encode("t", "pk", RANGE, Direction.ASCENDING, "abc");
        byte[] raw = Base64.getUrlDecoder().decode(c);
        List<String> accepted = new ArrayList<>();
        for (int i = 0; i < raw.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] flipped = raw.clone();
                flipped[i] ^= (byte) (1 << bit);
                String altered = Base64.getUrlEncoder().withoutPadding().encodeToString(flipped);
                if (accepts(altered)) {
                    accepted.add("byte " + i + " bit " + bit);
                }
            }
        }
        for (int n = 0; n < c.length(); n++) {
            if (accepts(c.substring(0, n))) {
                accepted.add("truncated to " + n);
            }
        }
        for (String tail : List.of("A", "AA", "AAA", "AAAA", "=", "==", "%3D", " ", "\n", ".")) {
            if (accepts(c + tail)) {
                accepted.add("appended " + tail.replace("\n", "\\n"));
            }
        }
        assertTrue(accepts(c));
        assertEquals(List.of(), accepted);
    }

    @Test
    void onlyTheCanonicalStringOpens() {
        // A cursor whose length leaves spare bits in its last character: set them, or add padding.
        String c = null;
        for (int len = 1; c == null || c.length() % 4 == 0; len++) {
            c = DEFAULT.encode("t", "pk", RANGE, Direction.ASCENDING, "a" + "b".repeat(len));
        }
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char last = c.charAt(c.length() - 1);
        int value = alphabet.indexOf(last);
        int spareBits = c.length() % 4 == 2 ? 4 : 2;
        String padded = c + (c.length() % 4 == 2 ? "==" : "=");
        assertThrows(ValidationException.class, () -> decode(DEFAULT, padded));
        String spare = c.substring(0, c.length() - 1) + alphabet.charAt(value | ((1 << spareBits) - 1));
        assertArrayEquals(Base64.getUrlDecoder().decode(c), Base64.getUrlDecoder().decode(spare),
                "the JDK decoder ignores spare bits, so the codec must compare the exact string");
        assertThrows(ValidationException.class, () -> decode(DEFAULT, spare));
    }

    @Test
    void sealedKeysAreValidatedToo() {
        // A holder of the key could seal anything; what opens must still be a valid key in the query's range.
        String tooLong = "a" + "x".repeat(Limits.MAX_SK_BYTES);
        assertThrows(ValidationException.class, () -> decode(DEFAULT, DEFAULT.encode("t", "pk", RANGE, Direction.ASCENDING, tooLong)));
        assertThrows(ValidationException.class, () -> decode(DEFAULT, DEFAULT.encode("t", "pk", RANGE, Direction.ASCENDING, "b")));
        assertThrows(ValidationException.class, () -> decode(DEFAULT, DEFAULT.encode("t", "pk", RANGE, Direction.ASCENDING, "a\u0000")));
        String maximal = "a" + "x".repeat(Limits.MAX_SK_BYTES - 1);
        String c = DEFAULT.encode("t", "pk", RANGE, Direction.ASCENDING, maximal);
        assertEquals(Cursors.MAX_CURSOR_CHARS, c.length(), "the longest cursor a valid key gives");
        assertEquals(maximal, decode(DEFAULT, c));
        assertThrows(ValidationException.class, () -> decode(DEFAULT, c + "A"));
        assertTrue(DEFAULT.decode(DEFAULT.encode("t", "p", KeyRange.between("b", "d"), Direction.DESCENDING, "c"),
                "t", "p", KeyRange.between("b", "d"), Direction.DESCENDING).equals("c"));
        assertThrows(ValidationException.class, () -> DEFAULT.decode(
                DEFAULT.encode("t", "p", KeyRange.atMost("d"), Direction.DESCENDING, "e"), "t", "p", KeyRange.atMost("d"),
                Direction.DESCENDING));
    }

    @Test
    void refusesTheFormerPlainTextFormat() {
        String legacy = Base64.getUrlEncoder().withoutPadding().encodeToString("c1\n1234abcd\nab".getBytes(StandardCharsets.UTF_8));
        ValidationException e = assertThrows(ValidationException.class, () -> decode(DEFAULT, legacy));
        assertTrue(e.getMessage().contains("unknown format"), e.getMessage());
    }

    @Test
    void messagesShowNeitherCursorNorKey() {
        String sk = "a-secret-sort-key";
        String c = DEFAULT.encode("t", "pk", RANGE, Direction.ASCENDING, sk);
        for (String bad : List.of(c + "A", c.substring(1), "not a cursor!")) {
            ValidationException e = assertThrows(ValidationException.class,
                    () -> DEFAULT.decode(bad, "t", "pk2", RANGE, Direction.ASCENDING));
            assertFalse(e.getMessage().contains(bad) || e.getMessage().contains(sk) || e.getMessage().contains("pk2"),
                    e.getMessage());
        }
    }

    @Test
    void secretsOfBadLengthFailWithoutShowingThem() {
        String shortSecret = "too-short-a-secret";
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Cursors.withSecret(shortSecret));
        assertTrue(e.getMessage().contains("storage.cursor_secret"), e.getMessage());
        assertFalse(e.getMessage().contains(shortSecret), e.getMessage());
        assertThrows(ConfigurationException.class, () -> Cursors.withSecret("x".repeat(Cursors.MAX_SECRET_BYTES + 1)));
        assertTrue(Cursors.withSecret("x".repeat(Cursors.MIN_SECRET_BYTES)).secretConfigured());
        assertFalse(Cursors.fromConfig(null).secretConfigured());
    }

    @Test
    void hkdfMatchesRfc5869() {
        // RFC 5869, appendix A.1 (test case 1).
        HexFormat hex = HexFormat.of();
        byte[] okm = Cursors.hkdfSha256(hex.parseHex("0b".repeat(22)), hex.parseHex("000102030405060708090a0b0c"),
                hex.parseHex("f0f1f2f3f4f5f6f7f8f9"), 42);
        assertEquals("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865", hex.formatHex(okm));
        // Test case 3: empty salt and info.
        byte[] okm3 = Cursors.hkdfSha256(hex.parseHex("0b".repeat(22)), new byte[0], new byte[0], 42);
        assertEquals("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8", hex.formatHex(okm3));
    }

    private static boolean accepts(String cursor) {
        try {
            decode(DEFAULT, cursor);
            return true;
        } catch (ValidationException e) {
            return false;
        }
    }
}
