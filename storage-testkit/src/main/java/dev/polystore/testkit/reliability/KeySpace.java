package dev.polystore.testkit.reliability;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The small, awkward key space of the random histories: sort keys with wildcard characters of
 * other query languages ({@code %}, {@code _}, {@code \}), characters at UTF-8 length
 * boundaries and above U+FFFF (where UTF-8 and UTF-16 order differ), keys of exactly the
 * maximum length sharing a long prefix, and partition keys with the same traits.
 */
final class KeySpace {
    /** A key or prefix with the short label histories are printed with. */
    record Named(String label, String value) {
    }

    static final String EMOJI = cp(0x1F600);

    /** Sort keys. The first {@link #HOT} are chosen more often, so that operations collide. */
    static final List<Named> SORT_KEYS = List.of(
            new Named("a%", "a%"),
            new Named("a_", "a_"),
            new Named("a\\", "a\\"),
            new Named("U+10002", cp(0x10002)),
            new Named("U+FFFF", "\uFFFF"),
            new Named("maxA", maxKey("m", "\u20AC", 1024)),
            new Named("a", "a"),
            new Named("a%b", "a%b"),
            new Named("a_b", "a_b"),
            new Named("a\\b", "a\\b"),
            new Named("ab", "ab"),
            new Named("A", "A"),
            new Named("%", "%"),
            new Named("_", "_"),
            new Named("\\", "\\"),
            new Named("é", "\u00E9"),
            new Named("U+FF61", "\uFF61"),
            new Named("U+10FFFF", cp(0x10FFFF)),
            new Named("k1", "k1"),
            new Named("k10", "k10"),
            new Named("k2", "k2"),
            new Named("maxB", fill("m", "\u20AC", 1021) + "y\u00E9"));

    static final int HOT = 6;

    /** Query prefixes: literal wildcards, a 1021-byte prefix shared by maxA and maxB, maxA itself. */
    static final List<Named> PREFIXES = List.of(
            new Named("''", ""),
            new Named("a", "a"),
            new Named("a%", "a%"),
            new Named("a_", "a_"),
            new Named("a\\", "a\\"),
            new Named("%", "%"),
            new Named("_", "_"),
            new Named("\\", "\\"),
            new Named("A", "A"),
            new Named("k1", "k1"),
            new Named("m€€", "m\u20AC\u20AC"),
            new Named("max-prefix", fill("m", "\u20AC", 1021)),
            new Named("maxA", maxKey("m", "\u20AC", 1024)),
            new Named("U+FFFF", "\uFFFF"),
            new Named("U+10002", cp(0x10002)),
            new Named("U+10000", cp(0x10000)),
            new Named("é", "\u00E9"),
            new Named("z", "z"));

    /** Range bounds: every sort key plus values between and around them. */
    static final List<Named> BOUNDS;

    static {
        java.util.ArrayList<Named> bounds = new java.util.ArrayList<>(SORT_KEYS);
        bounds.add(new Named("a$", "a$"));
        bounds.add(new Named("a~", "a~"));
        bounds.add(new Named("k", "k"));
        bounds.add(new Named("l", "l"));
        bounds.add(new Named("m", "m"));
        bounds.add(new Named("U+FF00", "\uFF00"));
        bounds.add(new Named("U+10000", cp(0x10000)));
        BOUNDS = List.copyOf(bounds);
    }

    /** Partition labels, in the order of {@link #partitions(String)}. */
    static final List<String> PARTITION_LABELS = List.of("p0", "p-awkward", "p-max");

    private static final Map<String, String> SK_LABELS = new HashMap<>();

    static {
        for (Named n : SORT_KEYS) {
            SK_LABELS.put(n.value(), n.label());
        }
    }

    private KeySpace() {
    }

    /** The partition keys under namespace {@code ns}: a plain one, an awkward one, one of exactly 2048 bytes. */
    static List<String> partitions(String ns) {
        return List.of(ns + "p0", ns + "p%_\\\u00E9" + EMOJI + "\uFFFF", maxKey(ns + "pmax", EMOJI, 2048));
    }

    /** The label of a sort key of the key space, or the key itself, quoted. */
    static String skLabel(String sk) {
        String label = SK_LABELS.get(sk);
        return label != null ? label : Outcomes.quote(sk);
    }

    static String cp(int codePoint) {
        return new String(Character.toChars(codePoint));
    }

    static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** {@code start}, then {@code unit} as often as it fits, then ASCII {@code x} to exactly {@code targetBytes}. */
    static String fill(String start, String unit, int targetBytes) {
        StringBuilder b = new StringBuilder(start);
        int bytes = utf8(start);
        int unitBytes = utf8(unit);
        if (bytes > targetBytes) {
            throw new IllegalArgumentException("'" + start + "' is already longer than " + targetBytes + " bytes");
        }
        while (bytes + unitBytes <= targetBytes) {
            b.append(unit);
            bytes += unitBytes;
        }
        while (bytes < targetBytes) {
            b.append('x');
            bytes++;
        }
        return b.toString();
    }

    /** A key of exactly {@code targetBytes} UTF-8 bytes that ends in ASCII {@code x}. */
    static String maxKey(String start, String unit, int targetBytes) {
        return fill(start, unit, targetBytes - 1) + "x";
    }

    /**
     * One byte over: {@code maxKey} with its final {@code x} replaced by {@code é}. Same number of
     * characters, so a backend counting characters instead of UTF-8 bytes lets it through.
     */
    static String overByOne(String maxKey) {
        if (!maxKey.endsWith("x")) {
            throw new IllegalArgumentException("not made by maxKey: does not end in x");
        }
        return maxKey.substring(0, maxKey.length() - 1) + "\u00E9";
    }
}
