package dev.polystore.spi;

import dev.polystore.DocumentStore;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The document store's portable tokenizer, for backend authors: the one definition of what
 * {@link DocumentStore#search} matches, used by the store's own term index and by every native
 * {@link SearchIndex}. An engine index that is fed exactly the {@link #tokens} of each title
 * and body, and that compares the query's {@link #queryTerms} with them as opaque strings,
 * returns exactly the documents the portable index returns, whatever the engine's own
 * tokenizer would have made of the text (SQLite's {@code unicode61}, for instance, classifies
 * and folds by Unicode 6.1 tables and keeps combining marks inside tokens).
 *
 * <p>The rules, for every Unicode input:
 * <ul>
 *   <li>a <em>token</em> is a maximal run of code points for which {@link #isTokenChar} holds:
 *       general category L* (letters), N* (numbers) or Co (private use), as
 *       {@link Character#getType(int)} of the running JDK classifies them. Every other code
 *       point separates tokens: combining marks ({@code cafe} followed by U+0301 holds the token
 *       {@code cafe}), punctuation, symbols, spaces, controls, format characters, unassigned
 *       code points and unpaired surrogates;</li>
 *   <li>each code point of a token is {@linkplain #fold folded} on its own with
 *       {@link Character#toLowerCase(int)}: simple one-to-one lower-casing, without locale and
 *       without context ({@code İ} U+0130 → {@code i}, {@code Σ} → {@code σ} also at the end of a
 *       word, {@code ß} stays {@code ß}, {@code ǅ} → {@code ǆ}); diacritics are kept;</li>
 *   <li>a token longer than {@link #MAX_TERM_LENGTH} code points is not indexed, and a query
 *       holding one matches nothing.</li>
 * </ul>
 *
 * <p>Folded tokens consist of letters, numbers and private-use characters only; among ASCII
 * characters that means {@code a-z} and {@code 0-9} (no upper case, no space, no punctuation).
 * So tokens joined with spaces are split back into exactly the same tokens by any tokenizer
 * that separates at ASCII spaces and punctuation and treats every non-ASCII character as part
 * of a token (SQLite FTS5's {@code ascii} tokenizer, for instance), and such a tokenizer's
 * ASCII case folding changes nothing.
 *
 * <p>The Unicode tables are the running JDK's (Java 17: Unicode 13.0). Terms are computed when
 * a document is written and when a query runs; the two agree as long as both run on JDKs with
 * the same Unicode version (see {@code docs/domain-stores.md}).
 *
 * <p>Stateless and thread-safe.
 */
public final class SearchTerms {
    /** Longest indexed token, in code points ({@link DocumentStore#MAX_TERM_LENGTH}). */
    public static final int MAX_TERM_LENGTH = DocumentStore.MAX_TERM_LENGTH;

    private SearchTerms() {
    }

    /** Whether {@code codePoint} belongs in a token: general category L*, N* or Co. */
    public static boolean isTokenChar(int codePoint) {
        return switch (Character.getType(codePoint)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER, Character.DECIMAL_DIGIT_NUMBER,
                 Character.LETTER_NUMBER, Character.OTHER_NUMBER, Character.PRIVATE_USE -> true;
            default -> false;
        };
    }

    /** The folded form of a token character: {@link Character#toLowerCase(int)}. */
    public static int fold(int codePoint) {
        return Character.toLowerCase(codePoint);
    }

    /**
     * The indexed tokens of {@code text}, folded, in order of appearance, repeats included;
     * tokens longer than {@link #MAX_TERM_LENGTH} code points are left out.
     */
    public static List<String> tokens(CharSequence text) {
        List<String> out = new ArrayList<>();
        tokenize(text, out::add, false);
        return out;
    }

    /** Each indexed term of {@code text} with its number of occurrences, in UTF-16 order of terms. */
    public static Map<String, Integer> frequencies(CharSequence text) {
        Map<String, Integer> out = new TreeMap<>();
        tokenize(text, token -> out.merge(token, 1, Integer::sum), false);
        return out;
    }

    /**
     * The distinct terms of a query, folded, in order of first appearance. A token too long to
     * be indexed is kept, so that the caller sees it with {@link #indexable} and matches nothing.
     */
    public static List<String> queryTerms(CharSequence query) {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        tokenize(query, out::add, true);
        return List.copyOf(out);
    }

    /** Whether a query term can match at all: it is not longer than an indexed token may be. */
    public static boolean indexable(String term) {
        return term.codePointCount(0, term.length()) <= MAX_TERM_LENGTH;
    }

    /**
     * Whether {@code term} is exactly one folded token, as {@link #queryTerms} returns them:
     * non-empty, token characters only, each already folded.
     */
    public static boolean isFoldedTerm(String term) {
        Objects.requireNonNull(term, "term");
        if (term.isEmpty()) {
            return false;
        }
        for (int i = 0; i < term.length(); ) {
            int cp = term.codePointAt(i);
            if (!isTokenChar(cp) || fold(cp) != cp) {
                return false;
            }
            i += Character.charCount(cp);
        }
        return true;
    }

    private static void tokenize(CharSequence text, Consumer<String> sink, boolean keepLong) {
        Objects.requireNonNull(text, "text");
        StringBuilder token = new StringBuilder();
        int length = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = Character.codePointAt(text, i);
            i += Character.charCount(cp);
            if (isTokenChar(cp)) {
                token.appendCodePoint(fold(cp));
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

    private static void emit(StringBuilder token, int length, Consumer<String> sink, boolean keepLong) {
        if (keepLong || length <= MAX_TERM_LENGTH) {
            sink.accept(token.toString());
        }
    }
}
