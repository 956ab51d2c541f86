package dev.polystore.internal.domain;

import dev.polystore.DocumentStore;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The portable tokenizer of {@link DocumentStore}: tokens are maximal runs of code points of
 * general category L*, N* or Co; each code point is lower-cased with
 * {@link Character#toLowerCase(int)}; tokens longer than {@link DocumentStore#MAX_TERM_LENGTH}
 * code points are dropped. The same rules as SQLite FTS5's {@code unicode61} tokenizer with
 * {@code remove_diacritics 0} for the characters the kit's corpus uses.
 */
public final class Terms {
    private Terms() {
    }

    /** Whether {@code cp} belongs in a token. */
    public static boolean isTokenChar(int cp) {
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER, Character.DECIMAL_DIGIT_NUMBER,
                 Character.LETTER_NUMBER, Character.OTHER_NUMBER, Character.PRIVATE_USE -> true;
            default -> false;
        };
    }

    /** Each term of {@code text} with its number of occurrences, in UTF-16 order of terms. */
    public static Map<String, Integer> frequencies(String text) {
        Map<String, Integer> out = new TreeMap<>();
        tokenize(text, token -> out.merge(token, 1, Integer::sum), false);
        return out;
    }

    /**
     * The distinct terms of a query in order of first appearance; a token too long to be
     * indexed is kept (so that the query matches nothing), flagged by its length.
     */
    public static List<String> queryTerms(String query) {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        tokenize(query, out::add, true);
        return List.copyOf(out);
    }

    /** Whether a query term can match at all (is not longer than an indexed term may be). */
    public static boolean indexable(String term) {
        return term.codePointCount(0, term.length()) <= DocumentStore.MAX_TERM_LENGTH;
    }

    private static void tokenize(String text, java.util.function.Consumer<String> sink, boolean keepLong) {
        StringBuilder token = new StringBuilder();
        int length = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (isTokenChar(cp)) {
                token.appendCodePoint(Character.toLowerCase(cp));
                length++;
            } else if (length > 0) {
                emit(token, length, sink, keepLong);
                token.setLength(0);
                length = 0;
            }
        }
        if (length > 0) {
            emit(token, length, sink, keepLong);
        }
    }

    private static void emit(StringBuilder token, int length, java.util.function.Consumer<String> sink, boolean keepLong) {
        if (keepLong || length <= DocumentStore.MAX_TERM_LENGTH) {
            sink.accept(token.toString());
        }
    }
}
