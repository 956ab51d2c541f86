package dev.polystore.testkit;

import dev.polystore.Direction;
import dev.polystore.KeyRange;
import dev.polystore.Limits;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Altered cursors for the kit's cursor fuzz ({@link StorageContract}): every string here differs
 * from the genuine cursor it was made from, so an API that resumes a query from any of them
 * accepts something no page handed out. The mutations know nothing of the cursor format except
 * that it is a string, usually base64url; where a cursor carries its sort key in clear, they also
 * re-encode it with other keys.
 */
final class CursorFuzz {
    /** One altered cursor and how it was made, for the failure message. */
    record Mutant(String label, String cursor) {
    }

    private static final String BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private CursorFuzz() {
    }

    /**
     * Every mutation of {@code cursor}, a genuine cursor of a page that ended at {@code lastSk}:
     * truncations, bit flips of every character and of every decoded byte, appended characters
     * and bytes, other encodings of the same bytes, splices with {@code other} (another genuine
     * cursor of the same query), and re-encodings with {@code otherKeys} in place of a sort key
     * carried in clear.
     */
    static List<Mutant> mutations(String cursor, String lastSk, String other, List<String> otherKeys) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int n = 0; n < cursor.length(); n++) {
            out.putIfAbsent(cursor.substring(0, n), "truncated to " + n + " of " + cursor.length() + " characters");
        }
        for (int i = 0; i < cursor.length(); i++) {
            for (int bit = 0; bit < 8; bit++) {
                char[] chars = cursor.toCharArray();
                chars[i] ^= (char) (1 << bit);
                out.putIfAbsent(new String(chars), "character " + i + " with bit " + bit + " flipped");
            }
        }
        for (String tail : List.of("A", "AA", "AAA", "AAAA", "-", "_", "=", "==", "%3D", ".", " ", "\n", "\u0000", cursor)) {
            out.putIfAbsent(cursor + tail, "appended " + printable(tail.equals(cursor) ? "a copy of itself" : tail));
        }
        out.putIfAbsent(" " + cursor, "a leading space");
        byte[] raw = lenientBase64(cursor);
        if (raw != null) {
            Base64.Encoder url = Base64.getUrlEncoder().withoutPadding();
            for (int i = 0; i < raw.length; i++) {
                for (int bit = 0; bit < 8; bit++) {
                    byte[] flipped = raw.clone();
                    flipped[i] ^= (byte) (1 << bit);
                    out.putIfAbsent(url.encodeToString(flipped), "decoded byte " + i + " with bit " + bit + " flipped");
                }
            }
            out.putIfAbsent(url.encodeToString(concat(raw, new byte[] {0})), "a zero byte appended to the decoded bytes");
            out.putIfAbsent(url.encodeToString(concat(raw, "\nx".getBytes(StandardCharsets.UTF_8))),
                    "\"\\nx\" appended to the decoded bytes");
            out.putIfAbsent(url.encodeToString(concat(raw, raw)), "its decoded bytes twice");
            if (raw.length > 1) {
                out.putIfAbsent(url.encodeToString(java.util.Arrays.copyOf(raw, raw.length - 1)), "its last decoded byte removed");
            }
            out.putIfAbsent(Base64.getUrlEncoder().encodeToString(raw), "the same bytes re-encoded with padding");
            out.putIfAbsent(Base64.getEncoder().encodeToString(raw), "the same bytes re-encoded in standard base64");
            out.putIfAbsent(Base64.getMimeEncoder(8, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(raw),
                    "the same bytes re-encoded in MIME base64 with line breaks");
            spareBits(cursor).forEach(s -> out.putIfAbsent(s, "the same bytes with other spare bits in the last character"));
            // Wherever the sort key's bytes appear (a format may also hold them by chance elsewhere).
            byte[] key = lastSk.getBytes(StandardCharsets.UTF_8);
            for (int at = indexOf(raw, key, 0); at >= 0; at = indexOf(raw, key, at + 1)) {
                for (String replacement : otherKeys) {
                    byte[] forged = concat(concat(java.util.Arrays.copyOf(raw, at), replacement.getBytes(StandardCharsets.UTF_8)),
                            java.util.Arrays.copyOfRange(raw, at + key.length, raw.length));
                    out.putIfAbsent(url.encodeToString(forged), "re-encoded with the sort key in clear (at byte " + at
                            + ") replaced by " + describe(replacement));
                }
            }
        }
        if (other != null) {
            for (int i = 1; i < Math.max(cursor.length(), other.length()); i++) {
                String splice = cursor.substring(0, Math.min(i, cursor.length())) + (i < other.length() ? other.substring(i) : "");
                out.putIfAbsent(splice, "the first " + i + " characters spliced onto another genuine cursor of the query");
            }
        }
        out.remove(cursor);
        if (other != null) {
            out.remove(other);
        }
        List<Mutant> mutants = new ArrayList<>();
        out.forEach((c, label) -> mutants.add(new Mutant(label, c)));
        return mutants;
    }

    /**
     * Hand-forged cursors in the format Polystore used before cursors were sealed: base64url of
     * {@code "c1\n" + CRC-32 of the query + "\n" + sort key}, accepted then for any sort key
     * (issue 11: even one over the {@value Limits#MAX_SK_BYTES}-byte limit).
     */
    static List<Mutant> plainTextForgeries(String store, String pk, KeyRange range, Direction direction,
                                           List<String> keys) {
        CRC32 crc = new CRC32();
        crc.update((store + "\u0000" + pk + "\u0000" + range + "\u0000" + direction).getBytes(StandardCharsets.UTF_8));
        String fingerprint = Long.toHexString(crc.getValue());
        List<Mutant> out = new ArrayList<>();
        for (String key : keys) {
            String text = "c1\n" + fingerprint + "\n" + key;
            out.add(new Mutant("hand-forged in the former plain-text format with " + describe(key),
                    Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8))));
        }
        return out;
    }

    /** A sort key over the portable limit, for forgeries. */
    static String overLimitKey(String prefix) {
        return prefix + "z".repeat(Limits.MAX_SK_BYTES + 1 - prefix.length());
    }

    private static List<String> spareBits(String cursor) {
        List<String> out = new ArrayList<>();
        int spare = switch (cursor.length() % 4) {
            case 2 -> 4;
            case 3 -> 2;
            default -> 0;
        };
        int last = BASE64URL.indexOf(cursor.charAt(cursor.length() - 1));
        if (spare == 0 || last < 0) {
            return out;
        }
        for (int bits = 1; bits < (1 << spare); bits++) {
            out.add(cursor.substring(0, cursor.length() - 1) + BASE64URL.charAt(last ^ bits));
        }
        return out;
    }

    private static byte[] lenientBase64(String s) {
        try {
            return Base64.getUrlDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static String describe(String key) {
        int bytes = key.getBytes(StandardCharsets.UTF_8).length;
        return bytes > 40 ? "a sort key of " + bytes + " bytes" : "the sort key \"" + printable(key) + "\"";
    }

    private static String printable(String s) {
        return s.replace("\n", "\\n").replace("\u0000", "\\0");
    }
}
