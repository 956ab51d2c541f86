package dev.polystore.testkit.domain;

import dev.polystore.document.NewDocument;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deterministic corpus and query set for the search contract, and an independent reference
 * implementation of the portable search semantics to compute the expected results.
 *
 * <p>The corpus is the same for every run and backend (fixed seed); every word carries the
 * test's tag as a suffix, so that documents of other tests sharing the storage never match.
 * It stays within the portable subset: ASCII letters and digits, a few Latin-1 letters with
 * diacritics in both cases, and ASCII separators.
 */
final class SearchCorpus {
    /** The seed of the corpus; changing it changes every document and query. */
    static final long SEED = 20_261_122L;
    private static final Pattern TOKEN = Pattern.compile("[\\p{L}\\p{N}\\p{Co}]+");
    private static final String[] SYLLABLES = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "qu", "bri",
        "dor", "fen", "gal", "hux", "jin", "caf\u00e9", "\u00fcb", "x7", "42"};
    private static final String[] SEPARATORS = {" ", " ", " ", ", ", ". ", " - ", "; ", "'", "\n", "_", "/", "(", ") "};

    final List<String> vocabulary;
    final List<NewDocument> documents;
    final List<String> queries;

    /** A scored result of the reference implementation. */
    record Expected(long id, int score) {
    }

    SearchCorpus(String tag, int size, int vocabularySize) {
        Random random = new Random(SEED);
        LinkedHashSet<String> words = new LinkedHashSet<>();
        while (words.size() < vocabularySize) {
            StringBuilder w = new StringBuilder();
            int syllables = 1 + random.nextInt(3);
            for (int i = 0; i < syllables; i++) {
                w.append(SYLLABLES[random.nextInt(SYLLABLES.length)]);
            }
            words.add(w + tag);
        }
        vocabulary = List.copyOf(words);
        documents = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            boolean large = i % 97 == 13;
            String title = text(random, 2 + random.nextInt(4));
            String body = large ? largeBody(random) : text(random, 5 + random.nextInt(76));
            documents.add(new NewDocument(title, body, Map.of("n", Integer.toString(i))));
        }
        queries = new ArrayList<>();
        // Single words from the most frequent to the rarest (the rarest mostly in the large documents).
        for (double f : new double[] {0, 0.003, 0.006, 0.012, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 0.999}) {
            queries.add(vocabulary.get((int) (f * vocabularySize)));
        }
        for (int i = 0; i < 16; i++) {
            queries.add(cased(random, zipf(random)) + separator(random) + cased(random, zipf(random)));
        }
        for (int i = 0; i < 8; i++) {
            queries.add(cased(random, zipf(random)) + " " + cased(random, zipf(random)) + " "
                    + cased(random, zipf(random)));
        }
        String frequent = vocabulary.get(0);
        queries.add(frequent.toUpperCase(Locale.ROOT));
        queries.add("  " + frequent + "!!! " + frequent + " ");
        queries.add("nothing" + tag);
        queries.add(frequent + " nothing" + tag);
        queries.add(vocabulary.get(1) + "-" + vocabulary.get(2));
        queries.add("x".repeat(70) + tag);
    }

    /** Skewed towards the first words, so some terms are in most documents and others in few. */
    private int zipf(Random random) {
        double r = random.nextDouble();
        return (int) (vocabulary.size() * r * r * r);
    }

    private String cased(Random random, int index) {
        String w = vocabulary.get(index);
        int c = random.nextInt(10);
        if (c == 0) {
            return w.toUpperCase(Locale.ROOT);
        } else if (c == 1) {
            return w.substring(0, 1).toUpperCase(Locale.ROOT) + w.substring(1);
        }
        return w;
    }

    private String separator(Random random) {
        return SEPARATORS[random.nextInt(SEPARATORS.length)];
    }

    private String text(Random random, int words) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < words; i++) {
            if (i > 0) {
                sb.append(separator(random));
            }
            sb.append(cased(random, zipf(random)));
        }
        return sb.toString();
    }

    /** A body with more distinct terms than fit in one transaction. */
    private String largeBody(Random random) {
        List<String> shuffled = new ArrayList<>(vocabulary);
        java.util.Collections.shuffle(shuffled, random);
        return String.join(" ", shuffled.subList(0, 150 + random.nextInt(100)));
    }

    // --- the reference implementation of the portable semantics ---

    /** Terms of a text with their counts: tokens of L*, N*, Co, lower-cased, at most 64 code points. */
    static Map<String, Integer> terms(String text) {
        Map<String, Integer> out = new HashMap<>();
        Matcher m = TOKEN.matcher(text);
        while (m.find()) {
            String t = m.group().toLowerCase(Locale.ROOT);
            if (t.codePointCount(0, t.length()) <= 64) {
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
            String t = m.group().toLowerCase(Locale.ROOT);
            if (t.codePointCount(0, t.length()) > 64) {
                return null;
            }
            out.add(t);
        }
        return List.copyOf(out);
    }

    /** The expected results of {@code query} over {@code docs} (id to content), best first. */
    static List<Expected> expected(Map<Long, NewDocument> docs, String query) {
        List<String> terms = queryTerms(query);
        List<Expected> out = new ArrayList<>();
        if (terms == null || terms.isEmpty()) {
            return out;
        }
        for (Map.Entry<Long, NewDocument> e : docs.entrySet()) {
            Map<String, Integer> tf = terms(e.getValue().title() + "\n" + e.getValue().body());
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
}
