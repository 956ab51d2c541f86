package dev.polystore.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SearchTermsTest {
    private static String cps(int... codePoints) {
        return new String(codePoints, 0, codePoints.length);
    }

    @Test
    void tokensAreRunsOfLettersNumbersAndPrivateUseFoldedPerCodePoint() {
        assertEquals(List.of("gamma", "delta", "it", "s", "über", "alles"), SearchTerms.tokens("Gamma-delta it's Über_alles"));
        assertEquals(List.of("cafe", "au"), SearchTerms.tokens("cafe\u0301 au"), "a combining mark separates");
        assertEquals(List.of("istanbul"), SearchTerms.tokens("\u0130stanbul"), "U+0130 folds to i, one code point");
        assertEquals(List.of("\u03bf\u03b4\u03bf\u03c3"), SearchTerms.tokens("\u039f\u0394\u039f\u03a3"),
                "final capital sigma folds to σ, not ς");
        assertEquals(List.of("stra\u00dfe"), SearchTerms.tokens("STRA\u00dfE"), "ß is not expanded");
        assertEquals(List.of("\u01c6"), SearchTerms.tokens("\u01c5"), "title case folds");
        assertEquals(List.of(cps(0x104D8, 0x104D8)), SearchTerms.tokens(cps(0x104B0, 0x104D8)), "Osage (Unicode 9)");
        assertEquals(List.of(cps(0xAB70), cps(0x10D0)), SearchTerms.tokens(cps(0x13A0, ' ', 0x1C90)),
                "Cherokee and Georgian case pairs newer than Unicode 6.1");
        assertEquals(List.of(cps(0xE000, 0xF0000, 0x1D7D8, 0x0663)), SearchTerms.tokens(cps(0xE000, 0xF0000, 0x1D7D8, 0x0663)),
                "private use and digits of other scripts are token characters");
        assertEquals(List.of("a", "b", "c", "d"), SearchTerms.tokens("a\u200db\ud800c\u0000d"),
                "format characters, unpaired surrogates and U+0000 separate");
        assertEquals(List.of(), SearchTerms.tokens(" \u0301\ud83d\ude00 "));
    }

    @Test
    void tokensLongerThanTheLimitAreLeftOutCountingCodePoints() {
        String longest = cps(0x10428).repeat(SearchTerms.MAX_TERM_LENGTH);
        String tooLong = longest + "x";
        assertEquals(List.of(longest, "ok"), SearchTerms.tokens(longest + " " + tooLong + " ok"));
        assertEquals(Map.of(longest, 1, "ok", 1), SearchTerms.frequencies(longest + " " + tooLong + " ok"));
        assertEquals(List.of("ok", tooLong.toLowerCase()), SearchTerms.queryTerms("OK " + tooLong + " ok"),
                "a query keeps it, distinct and in order, so that it can match nothing");
        assertTrue(SearchTerms.indexable(longest));
        assertFalse(SearchTerms.indexable(tooLong));
    }

    @Test
    void foldedTermsAreWhatQueryTermsReturn() {
        assertTrue(SearchTerms.isFoldedTerm("istanbul"));
        assertTrue(SearchTerms.isFoldedTerm(cps(0x104D8)));
        assertFalse(SearchTerms.isFoldedTerm("Istanbul"));
        assertFalse(SearchTerms.isFoldedTerm("two words"));
        assertFalse(SearchTerms.isFoldedTerm(""));
        assertFalse(SearchTerms.isFoldedTerm("cafe\u0301"));
        for (String term : SearchTerms.queryTerms(cps(0x130, 0x1C5, 0x3A3, 0x104B0, ' ', 0x212A, 0x216B))) {
            assertTrue(SearchTerms.isFoldedTerm(term), term);
        }
    }
}
