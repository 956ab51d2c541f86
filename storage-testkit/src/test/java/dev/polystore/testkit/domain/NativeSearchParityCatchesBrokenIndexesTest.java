package dev.polystore.testkit.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectNestedClass;

import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.internal.DefaultStorage;
import dev.polystore.spi.SearchTerms;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import java.util.function.UnaryOperator;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.ForwardingStorageBackend;
import dev.polystore.StoreFactory;

/**
 * The search contract is itself tested with native indexes ({@code NATIVE_SEARCH}) over the
 * memory backend: one that indexes the portable tokenizer's terms must pass the whole search
 * group, including the comparison with the portable index; indexes that tokenize the way
 * engines and careless code do must make the Unicode test and the corpus's parity checks fail.
 */
class NativeSearchParityCatchesBrokenIndexesTest {
    /** Marker of the corpus's parity checks, in their display names. */
    private static final String PARITY = "native search returns the portable index's result set";
    /** A smaller corpus than backends get: four runs of the search group, and each must still catch. */
    static final int SELF_TEST_CORPUS = 250;

    /** A contract run on the memory backend with a native index using {@code tokenizer}. */
    abstract static class WithIndex extends DocumentStoreContract {
        abstract Function<String, Set<String>> tokenizer();

        @Override
        int corpusSize() {
            return SELF_TEST_CORPUS;
        }

        @Override
        protected StorageConfig config(Path tempDir) {
            return StorageConfig.builder().backend("memory").build();
        }

        private NativeSearchHookTest.IndexingBackend backend;

        @Override
        protected Storage open(StorageConfig config) {
            backend = new NativeSearchHookTest.IndexingBackend(config.clock(), true, tokenizer());
            return new DefaultStorage("indexing", backend, config.clock());
        }

        /** The second storage sees the same in-memory engine (the kit's portable reference reads its data). */
        @Override
        protected Storage openAlso(UnaryOperator<StorageBackend> wrap) {
            Storage other = StoreFactory.open(wrap.apply(new ForwardingStorageBackend(backend) {
                @Override
                public void close() {
                    // the test's own storage closes the shared engine
                }
            }), clock);
            closeAfterTest(other);
            return other;
        }
    }

    /** Runs of token characters, each folded with {@code fold}. */
    private static Set<String> runs(String text, java.util.function.IntPredicate tokenChar,
                                    Function<String, String> fold) {
        Set<String> out = new HashSet<>();
        StringBuilder token = new StringBuilder();
        for (int i = 0; i <= text.length(); ) {
            int cp = i < text.length() ? text.codePointAt(i) : -1;
            if (cp >= 0 && tokenChar.test(cp)) {
                token.appendCodePoint(cp);
            } else if (token.length() > 0) {
                String t = fold.apply(token.toString());
                if (t.codePointCount(0, t.length()) <= SearchTerms.MAX_TERM_LENGTH) {
                    out.add(t);
                }
                token.setLength(0);
            }
            i += cp >= 0 ? Character.charCount(cp) : 1;
        }
        return out;
    }

    /** The right one: the portable tokenizer's terms. */
    static class Correct extends WithIndex {
        @Override
        Function<String, Set<String>> tokenizer() {
            return text -> SearchTerms.frequencies(text).keySet();
        }
    }

    /**
     * As SQLite FTS5's {@code unicode61} with {@code remove_diacritics 0} does it: Unicode 6.1
     * tables (letters and case pairs added since are unknown, so separators or left unfolded;
     * {@code İ} not folded to {@code i}), and combining marks kept inside tokens.
     */
    static class Unicode61 extends WithIndex {
        /** Code points of the corpus's scripts that Unicode 6.1 did not have. */
        static boolean after61(int cp) {
            return cp >= 0x104B0 && cp <= 0x104FF // Osage (9.0)
                    || cp >= 0xA794 && cp <= 0xA79F || cp >= 0xA7AB && cp <= 0xA7F7 // Latin Extended-D additions
                    || cp >= 0xAB70 && cp <= 0xABBF || cp >= 0x13F5 && cp <= 0x13FD // Cherokee small letters (8.0)
                    || cp >= 0x1C90 && cp <= 0x1CBF // Georgian Mtavruli (11.0)
                    || cp >= 0x1E900 && cp <= 0x1E95F // Adlam (9.0)
                    || cp >= 0x16E40 && cp <= 0x16E9F; // Medefaidrin (11.0)
        }

        @Override
        Function<String, Set<String>> tokenizer() {
            return text -> runs(text, cp -> {
                int type = Character.getType(cp);
                boolean mark = type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
                        || type == Character.ENCLOSING_MARK;
                return mark || SearchTerms.isTokenChar(cp) && !after61(cp);
            }, token -> {
                StringBuilder sb = new StringBuilder();
                token.codePoints().forEach(cp -> sb.appendCodePoint(
                        after61(cp) || cp == 0x0130 || cp >= 0x13A0 && cp <= 0x13F5 ? cp : Character.toLowerCase(cp)));
                return sb.toString();
            });
        }
    }

    /** Whole tokens lower-cased with {@link String#toLowerCase(Locale)}: context (final sigma) and expansions (İ). */
    static class StringLowerCase extends WithIndex {
        @Override
        Function<String, Set<String>> tokenizer() {
            return text -> runs(text, SearchTerms::isTokenChar, token -> token.toLowerCase(Locale.ROOT));
        }
    }

    /** UTF-16 units instead of code points: supplementary letters and digits are separators. */
    static class Utf16Units extends WithIndex {
        @Override
        Function<String, Set<String>> tokenizer() {
            return text -> runs(text, cp -> cp <= 0xFFFF && SearchTerms.isTokenChar(cp),
                    token -> token.chars().mapToObj(c -> String.valueOf(Character.toLowerCase((char) c)))
                            .collect(Collectors.joining()));
        }
    }

    private static EngineExecutionResults run(Class<? extends WithIndex> index) {
        return EngineTestKit.engine("junit-jupiter")
                .selectors(selectNestedClass(List.of(index), DocumentStoreContract.Search.class)).execute();
    }

    /** Failed tests: display name → failure message. */
    private static Map<String, String> failures(EngineExecutionResults results) {
        Map<String, String> out = new TreeMap<>();
        for (Event e : results.testEvents().failed().list()) {
            out.put(e.getTestDescriptor().getDisplayName(), e.getPayload(TestExecutionResult.class)
                    .flatMap(TestExecutionResult::getThrowable).map(String::valueOf).orElse(""));
        }
        return out;
    }

    private static void assertCaught(Class<? extends WithIndex> index) {
        Map<String, String> failed = failures(run(index));
        String names = String.join("\n  ", failed.keySet());
        assertTrue(failed.keySet().stream().anyMatch(n -> n.startsWith("every Unicode input")),
                index.getSimpleName() + " must fail the Unicode test; failed:\n  " + names);
        List<String> parity = failed.entrySet().stream().filter(e -> e.getKey().endsWith(PARITY))
                .map(Map.Entry::getValue).toList();
        assertTrue(!parity.isEmpty(), index.getSimpleName() + " must fail parity checks of the corpus; failed:\n  " + names);
        assertTrue(parity.stream().allMatch(m -> m.contains("native search differs from the portable index")),
                "the parity failures say what differs: " + parity.get(0));
    }

    @Test
    @DisplayName("a native index over the portable tokenizer's terms passes every search test, parity checks included")
    void correctIndexPasses() {
        EngineExecutionResults results = run(Correct.class);
        assertEquals(Map.of(), failures(results));
        long parityPassed = results.testEvents().succeeded().list().stream()
                .filter(e -> e.getTestDescriptor().getDisplayName().endsWith(PARITY)).count();
        assertTrue(parityPassed > 50, "the corpus's parity checks ran: " + parityPassed);
        assertEquals(0, results.testEvents().skipped().count() + results.testEvents().aborted().count(),
                "nothing skipped on a backend declaring NATIVE_SEARCH");
    }

    @Test
    @DisplayName("an index that tokenizes and folds with Unicode 6.1 tables, keeping combining marks (FTS5 unicode61), is caught")
    void unicode61Caught() {
        assertCaught(Unicode61.class);
    }

    @Test
    @DisplayName("an index that lower-cases whole tokens with String.toLowerCase (final sigma, İ) is caught")
    void stringLowerCaseCaught() {
        assertCaught(StringLowerCase.class);
    }

    @Test
    @DisplayName("an index that tokenizes UTF-16 units instead of code points is caught")
    void utf16UnitsCaught() {
        assertCaught(Utf16Units.class);
    }
}
