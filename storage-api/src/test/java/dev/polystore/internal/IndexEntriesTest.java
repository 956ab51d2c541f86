package dev.polystore.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Key;
import dev.polystore.KeyRange;
import dev.polystore.spi.SortKeys;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The stored form of index entries: their sort keys order as (sort key, pk, sk) and ranges select exactly. */
class IndexEntriesTest {
    private static final String[] PARTS = {"", "a", "ab", "\u0001", "a\u0001", "\u0001\u0001", "\u0002", "b", "\u00e9",
        "\uD83D\uDE00", "a\u0001\u0002", "~"};

    private record Triple(String sort, Key key) {
    }

    private static final Comparator<Triple> TUPLE_ORDER = Comparator.<Triple, String>comparing(Triple::sort, SortKeys.UTF8_ORDER)
            .thenComparing(t -> t.key().pk(), SortKeys.UTF8_ORDER)
            .thenComparing(t -> t.key().sk(), SortKeys.UTF8_ORDER);

    private static List<Triple> randomTriples(Random random, int n) {
        List<Triple> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Triple(part(random), new Key("p" + part(random), part(random) + part(random))));
        }
        return out;
    }

    private static String part(Random random) {
        return PARTS[random.nextInt(PARTS.length)] + PARTS[random.nextInt(PARTS.length)];
    }

    @Test
    void entrySortKeysOrderAsTheTupleAndAreDistinct() {
        Random random = new Random(7);
        List<Triple> triples = randomTriples(random, 400);
        for (Triple x : triples) {
            for (Triple y : triples.subList(0, 60)) {
                int tuple = Integer.signum(TUPLE_ORDER.compare(x, y));
                int stored = Integer.signum(SortKeys.compare(IndexEntries.entrySk(x.sort(), x.key()),
                        IndexEntries.entrySk(y.sort(), y.key())));
                assertEquals(tuple, stored, x + " vs " + y);
                int unsorted = Integer.signum(Comparator.<Triple, String>comparing(t -> t.key().pk(), SortKeys.UTF8_ORDER)
                        .thenComparing(t -> t.key().sk(), SortKeys.UTF8_ORDER).compare(x, y));
                assertEquals(unsorted, Integer.signum(SortKeys.compare(IndexEntries.entrySk(null, x.key()),
                        IndexEntries.entrySk(null, y.key()))), "without sort key: " + x + " vs " + y);
            }
        }
    }

    @Test
    void rangesOverTheSortKeySelectExactlyTheMatchingEntries() {
        Random random = new Random(11);
        List<Triple> triples = randomTriples(random, 300);
        List<KeyRange> ranges = new ArrayList<>();
        for (String a : PARTS) {
            ranges.add(KeyRange.prefix(a.isEmpty() ? "a" : a));
            ranges.add(KeyRange.atLeast(a));
            ranges.add(KeyRange.atMost(a));
            for (String b : PARTS) {
                if (SortKeys.compare(a, b) <= 0) {
                    ranges.add(KeyRange.between(a, b));
                }
            }
        }
        int checked = 0;
        for (KeyRange range : ranges) {
            KeyRange stored = IndexEntries.entryRange(range);
            for (Triple t : triples) {
                boolean want = SortKeys.inRange(t.sort(), range);
                boolean got = SortKeys.inRange(IndexEntries.entrySk(t.sort(), t.key()), stored);
                assertEquals(want, got, range + " on " + t);
                checked++;
            }
        }
        assertTrue(checked > 10_000);
    }

    @Test
    void payloadRoundTrips() {
        Key item = new Key("p\u0001\uD83D\uDE00", "s");
        byte[] payload = {1, 2, 3};
        IndexEntries.Copy copy = IndexEntries.decode("t", new Key("~ix/x/y", "z"), IndexEntries.payload(item, 42, payload));
        assertEquals(item, copy.key());
        assertEquals(42, copy.version());
        assertEquals(List.of((byte) 1, (byte) 2, (byte) 3), List.of(copy.payload()[0], copy.payload()[1], copy.payload()[2]));
        assertEquals(IndexEntries.payloadSize(item, 3), IndexEntries.payload(item, 42, payload).length);
    }
}
