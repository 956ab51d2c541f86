package dev.polystore.dynamodb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class WriteTokensTest {
    /** DynamoDB's client request token: 1 to 36 characters; ours use a safe subset of them. */
    private static final Pattern SHAPE = Pattern.compile("[0-9a-v]{21,33}");

    @Test
    void tokensAreUniqueAcrossCallsAndInstancesAndShort() {
        WriteTokens a = new WriteTokens();
        WriteTokens b = new WriteTokens();
        assertNotEquals(a.prefix(), b.prefix(), "each instance draws its own random prefix");
        assertEquals(WriteTokens.PREFIX_CHARS, a.prefix().length());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 200_000; i++) {
            for (WriteTokens t : new WriteTokens[] {a, b}) {
                String token = t.next();
                assertTrue(SHAPE.matcher(token).matches(), token);
                assertTrue(token.length() <= 36, token);
                assertTrue(token.startsWith(t.prefix()), token);
                assertTrue(seen.add(token), "repeated: " + token);
            }
        }
    }

    @Test
    void manyInstancesDrawDifferentPrefixes() {
        Set<String> prefixes = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            assertTrue(prefixes.add(new WriteTokens().prefix()));
        }
        // every one of the 32 digits appears in the first position somewhere: the prefix is not
        // stuck on a few values
        Set<Character> first = new HashSet<>();
        prefixes.forEach(p -> first.add(p.charAt(0)));
        assertEquals(32, first.size());
    }

    @Test
    void concurrentCallersNeverShareAToken() throws InterruptedException {
        WriteTokens tokens = new WriteTokens();
        Set<String> seen = ConcurrentHashMap.newKeySet();
        int threads = 4;
        int each = 50_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        List<String> repeats = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    String token = tokens.next();
                    if (!seen.add(token)) {
                        synchronized (repeats) {
                            repeats.add(token);
                        }
                    }
                }
            });
            w.start();
            workers.add(w);
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        assertEquals(List.of(), repeats);
        assertEquals(threads * each, seen.size());
    }

    @Test
    void theLongestTokenFitsAClientRequestToken() {
        String longest = "0".repeat(WriteTokens.PREFIX_CHARS) + Long.toUnsignedString(-1L, 32);
        assertEquals(WriteTokens.MAX_LENGTH, longest.length());
        assertTrue(longest.length() <= 36);
        assertTrue(WriteTokens.PREFIX_BITS >= 96);
    }
}
