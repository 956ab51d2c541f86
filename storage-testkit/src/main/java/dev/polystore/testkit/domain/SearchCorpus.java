package dev.polystore.testkit.domain;

import dev.polystore.document.NewDocument;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.IntUnaryOperator;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deterministic corpus and query set for the search contract, drawn from the whole Unicode
 * range, and an independent reference implementation (a model) of the portable search
 * semantics to compute the expected results.
 *
 * <p>The corpus is the same for every run and backend (fixed seed). Its words are runs of
 * token characters from every corner of Unicode — ASCII, precomposed diacritics, letters with
 * special case mappings ({@code İ} U+0130, {@code ı}, {@code Σ}/{@code ς}, {@code ß}/{@code ẞ},
 * the Kelvin and Ohm signs), title-case letters, letters and case pairs newer than Unicode 6.1
 * (Osage, Cherokee small letters, Georgian Mtavruli, Latin U+A7B4, Adlam), supplementary
 * letters and digits, digits and numbers of other scripts, modifier letters, private use (Co) —
 * written in mixed case (per code point, per string, with the root and the Turkish locale).
 * Between tokens stand separators from every other category: combining marks (so
 * {@code cafe} + U+0301 holds the token {@code cafe}), format characters, spaces of every
 * kind, controls including U+0000, symbols, unassigned and non-characters, unpaired surrogates
 * and random non-token code points. Documents also carry untagged noise tokens drawn from
 * across the range.
 *
 * <p>Every vocabulary word starts with the test's tag, so a query always holds at least one
 * term only this test's documents contain (the kit's storage may be shared between tests). The
 * tag comes first so that what follows it ends the word, as {@code Σ} must for the final-sigma
 * rule of {@link String#toLowerCase} to apply (which the portable semantics do not follow).
 *
 * <p>Queries: single words of every frequency, pairs and triples joined by separators, the
 * Unicode-special words in every casing, words with noise tokens, windows of real documents,
 * words with random code points from the whole range (surrogates included), and edge cases
 * (a term of exactly 64 code points of supplementary characters, one of 65, terms that match
 * nothing).
 */
final class SearchCorpus {
    /** The seed of the corpus; changing it changes every document and query. */
    static final long SEED = 20_261_201L;
    /** Longest indexed token, in code points (the documented limit). */
    static final int MAX_TERM = 64;
    /** Most distinct terms in a query (the documented limit). */
    static final int MAX_QUERY_TERMS = 16;
    private static final Pattern TOKEN = Pattern.compile("[\\p{L}\\p{N}\\p{Co}]+");
    private static final Locale TURKISH = Locale.forLanguageTag("tr");

    /** Plain pieces of words. */
    private static final String[] PLAIN = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "qu", "bri", "dor",
        "fen", "gal", "hux", "jin", "x7", "42"};

    /** Pieces whose tokenization or folding differs between engines; each is a run of token characters. */
    static final String[] SPECIAL = {
        "caf\u00e9", "\u00fcb", "\u00f1u", "\u00f8", // precomposed diacritics
        "\u0130st", "\u0131k", "I\u0131", // Turkish dotted capital I, dotless i
        "\u039f\u0394\u039f\u03a3", "\u03c3\u03c2", "\u0390", // Greek: final sigma rule, ΐ (upper is 3 code points)
        "stra\u00dfe", "\u1e9e", "\u0149", "\ufb01", // ß, capital sharp s, ŉ and ﬁ (String upper-casing expands them)
        "\u01c5", "\u1f88", "\u01c8", // title-case letters (Lt)
        "\u212a", "\u2126", "\u212b", // Kelvin, Ohm, Angstrom signs (fold to ASCII k, ω, å)
        "\ud801\udcb0\ud801\udcd8", // Osage (Unicode 9)
        "\ua7b4\ua7b5", // Latin beta (Unicode 8)
        "\u13a0\uab70", "\u13f5", // Cherokee capital and small letters (Unicode 8 made the pairs)
        "\u10d0\u1c90", // Georgian Mkhedruli and Mtavruli (Unicode 11)
        "\ud83a\udd00\ud83a\udd22", // Adlam (Unicode 9)
        "\ud81b\ude40", // Medefaidrin (Unicode 11)
        "\ud801\udc00\ud801\udc28", // Deseret (supplementary case pair)
        "\ud800\udf30", "\ud840\udc00", "\ud835\udc00", // Gothic, CJK Ext. B, mathematical bold A (no lower case)
        "\u0663\u096d\uff19", "\ud835\udfd8", "\ud83a\udd51", "\ud801\udca3", // digits of other scripts, supplementary digits
        "\u00b2\u00bd\u2460", "\u216b\u217b", "\ud800\udd40", // No and Nl numbers (Roman numeral XII has a lower case)
        "t\u02b0a", "\u3005", // modifier letters
        "\u4e2d\ud55c\u0e01\u05d0", // CJK, Hangul, Thai, Hebrew
        "\ue000\uf8ff", "\udb80\udc00", "\udbff\udffd", // private use: BMP, plane 15, plane 16
    };

    /** Separators: code points of every category that is not a token category. */
    private static final String[] SEPARATORS = {" ", " ", " ", ", ", ". ", " - ", "; ", "'", "\n", "_", "/", "(", ") ",
        "\u0301", "\u0308 ", "\u0307", "\u20dd", "\u0903", "\ud834\udd67", // combining marks Mn, Me, Mc, supplementary Mn
        "\u200d", "\u200c", "\u00ad", "\ufeff", "\udb40\udc01", // format characters, supplementary Cf
        "\u00a0", "\u3000", "\u2009", "\u2028", "\u2029", "\u0085", "\t", "\u0000", // spaces, separators, controls
        "\ud83d\ude00", "\u20a4", "^", "+", "\u00b7", // symbols
        "\u0378", "\ufffe", "\udbff\udfff", "\udb40\udc80", // unassigned and non-characters
        "\ud800 ", " \udc00", // unpaired surrogates
    };

    /** Ways a word is written; the first, as it is, is the most frequent. */
    private static final List<UnaryOperator<String>> CASINGS = List.of(
            s -> s,
            s -> s,
            s -> s,
            s -> s.toUpperCase(Locale.ROOT),
            s -> s.toLowerCase(Locale.ROOT),
            s -> eachCodePoint(s, Character::toUpperCase),
            s -> eachCodePoint(s, Character::toTitleCase),
            s -> s.toUpperCase(TURKISH),
            s -> s.toLowerCase(TURKISH));

    final List<String> vocabulary;
    final List<NewDocument> documents;
    final List<String> queries;

    /** A scored result of the reference implementation. */
    record Expected(long id, int score) {
    }

    SearchCorpus(String tag, int size, int vocabularySize) {
        Random random = new Random(SEED);
        LinkedHashSet<String> words = new LinkedHashSet<>();
        // Every special piece in a word of its own (its queries come first below), then mixed words.
        for (String special : SPECIAL) {
            words.add(tag + special);
        }
        while (words.size() < vocabularySize - 2) {
            StringBuilder w = new StringBuilder(tag);
            int pieces = 1 + random.nextInt(3);
            for (int i = 0; i < pieces; i++) {
                w.append(random.nextInt(3) == 0 ? SPECIAL[random.nextInt(SPECIAL.length)]
                        : PLAIN[random.nextInt(PLAIN.length)]);
            }
            words.add(w.toString());
        }
        List<String> specialWords = new ArrayList<>(words).subList(0, SPECIAL.length);
        List<String> shuffled = new ArrayList<>(words);
        // Special words spread over every frequency, not only the most frequent.
        Collections.shuffle(shuffled, random);
        // The longest indexed term, in supplementary characters (twice as many UTF-16 units), and one longer.
        String deseret = "\ud801\udc28";
        shuffled.add(tag + deseret.repeat(MAX_TERM - tag.length()));
        shuffled.add(tag + deseret.repeat(MAX_TERM - tag.length() + 1));
        vocabulary = List.copyOf(shuffled);
        List<String> noise = noise(random);

        documents = new ArrayList<>();
        List<List<String>> pieces = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            boolean large = i % 97 == 13;
            List<String> titleWords = words(random, 2 + random.nextInt(4), noise);
            List<String> bodyWords = large ? largeBody(random) : words(random, 5 + random.nextInt(76), noise);
            if (i % 50 == 7) {
                // The long words, sometimes.
                bodyWords.add(vocabulary.get(vocabulary.size() - 1 - (i / 50) % 2));
            }
            documents.add(new NewDocument(join(random, titleWords), join(random, bodyWords),
                    Map.of("n", Integer.toString(i))));
            List<String> all = new ArrayList<>(titleWords);
            all.addAll(bodyWords);
            pieces.add(all);
        }

        List<String> q = new ArrayList<>();
        // Single words from the most frequent to the rarest (the rarest mostly in the large documents).
        for (double f : new double[] {0, 0.003, 0.006, 0.012, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 0.99}) {
            q.add(cased(random, vocabulary.get((int) (f * (vocabularySize - 2)))));
        }
        for (int i = 0; i < 16; i++) {
            q.add(cased(random, word(random)) + separator(random) + cased(random, word(random)));
        }
        for (int i = 0; i < 8; i++) {
            q.add(cased(random, word(random)) + " " + cased(random, word(random)) + " " + cased(random, word(random)));
        }
        // Each special word, in one of its casings.
        for (int i = 0; i < SPECIAL.length; i++) {
            q.add(CASINGS.get((i % (CASINGS.size() - 1)) + 1).apply(specialWords.get(i)));
        }
        // A frequent word and noise tokens: which documents match depends on how the noise is folded.
        for (int i = 0; i < 16; i++) {
            q.add(cased(random, vocabulary.get(random.nextInt(10))) + separator(random)
                    + cased(random, noise.get(random.nextInt(noise.size()))));
        }
        // Windows of real documents, rewritten.
        for (int i = 0; i < 12; i++) {
            List<String> doc = pieces.get(random.nextInt(pieces.size()));
            int from = random.nextInt(doc.size());
            List<String> window = new ArrayList<>(doc.subList(from, Math.min(doc.size(), from + 1 + random.nextInt(3))));
            if (window.stream().noneMatch(w -> w.startsWith(tag))) {
                window.add(doc.stream().filter(w -> w.startsWith(tag)).findFirst().orElse(vocabulary.get(0)));
            }
            StringBuilder sb = new StringBuilder();
            for (String w : window) {
                sb.append(sb.length() == 0 ? "" : separator(random)).append(cased(random, w));
            }
            q.add(sb.toString());
        }
        // A word and random code points from the whole range, unpaired surrogates included.
        for (int i = 0; i < 8; i++) {
            StringBuilder sb = new StringBuilder(cased(random, word(random))).append(' ');
            int n = 1 + random.nextInt(6);
            for (int j = 0; j < n; j++) {
                sb.appendCodePoint(random.nextInt(Character.MAX_CODE_POINT + 1));
            }
            q.add(sb.toString());
        }
        String frequent = vocabulary.get(0);
        q.add(frequent.toUpperCase(Locale.ROOT));
        q.add("  " + frequent + "!!! " + frequent + " ");
        q.add(frequent + "\u0301");
        q.add("nothing" + tag);
        q.add(frequent + " nothing" + tag);
        q.add(vocabulary.get(1) + "-" + vocabulary.get(2));
        q.add(tag + "x".repeat(70));
        q.add(vocabulary.get(vocabulary.size() - 2));
        q.add(vocabulary.get(vocabulary.size() - 2).toUpperCase(Locale.ROOT));
        q.add(vocabulary.get(vocabulary.size() - 1));
        // Within the query limit only (a longer query is a validation error, tested elsewhere).
        queries = q.stream().filter(query -> {
            List<String> terms = queryTerms(query);
            return terms == null || terms.size() <= MAX_QUERY_TERMS;
        }).toList();
    }

    /** Untagged noise tokens: the special pieces, and token characters picked across the code space. */
    private static List<String> noise(Random random) {
        List<String> out = new ArrayList<>(List.of(SPECIAL));
        for (int i = 0; i < 48; i++) {
            out.add(new String(Character.toChars(randomCodePoint(random, true))));
        }
        return out;
    }

    /** A random code point that is (or is not) a token character, from every plane that has them. */
    private static int randomCodePoint(Random random, boolean token) {
        while (true) {
            int r = random.nextInt(20);
            int cp;
            if (r < 10) {
                cp = random.nextInt(0x10000);
            } else if (r < 15) {
                cp = 0x10000 + random.nextInt(0x10000);
            } else if (r < 17) {
                cp = 0x20000 + random.nextInt(0x20000);
            } else {
                cp = 0xE0000 + random.nextInt(0x30000);
            }
            if (isToken(cp) == token && !(cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE)) {
                return cp;
            }
        }
    }

    private static boolean isToken(int cp) {
        return TOKEN.matcher(new String(Character.toChars(cp))).matches();
    }

    private static String eachCodePoint(String s, IntUnaryOperator f) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().map(f).forEach(sb::appendCodePoint);
        return sb.toString();
    }

    /** Skewed towards the first words, so some terms are in most documents and others in few. */
    private String word(Random random) {
        double r = random.nextDouble();
        return vocabulary.get((int) ((vocabulary.size() - 2) * r * r * r));
    }

    private static String cased(Random random, String w) {
        return CASINGS.get(random.nextInt(CASINGS.size())).apply(w);
    }

    private static String separator(Random random) {
        if (random.nextInt(12) == 0) {
            return new String(Character.toChars(randomCodePoint(random, false)));
        }
        return SEPARATORS[random.nextInt(SEPARATORS.length)];
    }

    /** Words (cased) and, now and then, a noise token. */
    private List<String> words(Random random, int n, List<String> noise) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(cased(random, random.nextInt(10) == 0 ? noise.get(random.nextInt(noise.size())) : word(random)));
        }
        return out;
    }

    private static String join(Random random, List<String> words) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < words.size(); i++) {
            if (i > 0) {
                sb.append(separator(random));
            }
            sb.append(words.get(i));
        }
        return sb.toString();
    }

    /** A body with more distinct terms than fit in one transaction. */
    private List<String> largeBody(Random random) {
        List<String> shuffled = new ArrayList<>(vocabulary.subList(0, vocabulary.size() - 2));
        Collections.shuffle(shuffled, random);
        return new ArrayList<>(shuffled.subList(0, 150 + random.nextInt(100)));
    }

    // --- the reference implementation of the portable semantics ---

    /** A token folded code point by code point, without locale or context. */
    private static String fold(String token) {
        return eachCodePoint(token, Character::toLowerCase);
    }

    /**
     * Terms of a text with their counts: maximal runs of L*, N*, Co, each code point lower-cased
     * on its own, at most 64 code points.
     */
    static Map<String, Integer> terms(String text) {
        Map<String, Integer> out = new HashMap<>();
        Matcher m = TOKEN.matcher(text);
        while (m.find()) {
            String t = fold(m.group());
            if (t.codePointCount(0, t.length()) <= MAX_TERM) {
                out.merge(t, 1, Integer::sum);
            }
        }
        return out;
    }

    /** Distinct query terms; null if one can never match (too long). */
    static List<String> queryTerms(String query) {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        Matcher m = TOKEN.matcher(query);
        while (m.find()) {
            String t = fold(m.group());
            if (t.codePointCount(0, t.length()) > MAX_TERM) {
                return null;
            }
            out.add(t);
        }
        return List.copyOf(out);
    }

    /** The model over a set of documents (id to content): their terms, computed once. */
    static final class Model {
        private final Map<Long, Map<String, Integer>> terms = new HashMap<>();

        Model(Map<Long, NewDocument> docs) {
            docs.forEach((id, d) -> terms.put(id, SearchCorpus.terms(d.title() + "\n" + d.body())));
        }

        /** The expected results of {@code query}, best first. */
        List<Expected> expected(String query) {
            return SearchCorpus.expected(terms, query);
        }
    }

    private static List<Expected> expected(Map<Long, Map<String, Integer>> docs, String query) {
        List<String> terms = queryTerms(query);
        List<Expected> out = new ArrayList<>();
        if (terms == null || terms.isEmpty()) {
            return out;
        }
        for (Map.Entry<Long, Map<String, Integer>> e : docs.entrySet()) {
            Map<String, Integer> tf = e.getValue();
            int score = 0;
            boolean all = true;
            for (String t : terms) {
                Integer n = tf.get(t);
                if (n == null) {
                    all = false;
                    break;
                }
                score += n;
            }
            if (all) {
                out.add(new Expected(e.getKey(), score));
            }
        }
        out.sort(Comparator.comparingInt(Expected::score).reversed().thenComparingLong(Expected::id));
        return out;
    }

    /** A query as a display name: controls, separators, marks and unpaired surrogates as {@code <U+XXXX>}. */
    static String describe(String query) {
        StringBuilder sb = new StringBuilder();
        query.codePoints().forEach(cp -> {
            int type = Character.getType(cp);
            boolean visible = cp == ' ' || !(Character.isISOControl(cp) || Character.isWhitespace(cp)
                    || type == Character.FORMAT || type == Character.SURROGATE || type == Character.UNASSIGNED
                    || type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK
                    || type == Character.COMBINING_SPACING_MARK || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR || type == Character.SPACE_SEPARATOR
                    || type == Character.PRIVATE_USE);
            if (visible) {
                sb.appendCodePoint(cp);
            } else {
                sb.append(String.format("<U+%04X>", cp));
            }
        });
        return sb.toString();
    }
}
