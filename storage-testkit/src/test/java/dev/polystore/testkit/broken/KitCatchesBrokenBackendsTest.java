package dev.polystore.testkit.broken;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * The kit is itself tested: each deliberately broken backend must make specific contract tests
 * fail, with a message that says what went wrong, while the rest of the suite still runs.
 */
class KitCatchesBrokenBackendsTest {

    /** Runs the suite on one broken backend and returns failed test method name → failure message. */
    private static Map<String, String> failures(Class<?> run) {
        List<Event> failed = EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(run))
                .execute()
                .testEvents()
                .failed()
                .list();
        Map<String, String> byMethod = new TreeMap<>();
        for (Event e : failed) {
            String method = e.getTestDescriptor().getSource()
                    .filter(MethodSource.class::isInstance).map(s -> ((MethodSource) s).getMethodName()).orElse("?");
            String message = e.getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable)
                    .map(String::valueOf).orElse("");
            byMethod.put(method, message);
        }
        return byMethod;
    }

    private static void assertCaught(Map<String, String> failures, Set<String> mustFail, String messageFragment) {
        assertFalse(failures.isEmpty(), "the kit passed a broken backend");
        for (String test : mustFail) {
            assertTrue(failures.containsKey(test), "contract test '" + test + "' should have failed; failures were "
                    + failures.keySet());
        }
        assertTrue(failures.values().stream().anyMatch(m -> m.contains(messageFragment)),
                "no failure message mentions '" + messageFragment + "': " + failures);
    }

    @Test
    @DisplayName("an unconditional put pretending to be conditional is caught")
    void ignoresConditions() {
        Map<String, String> f = failures(BrokenRuns.IgnoresConditionsRun.class);
        assertCaught(f, Set.of("ifAbsent", "ifVersion", "ifVersionMissing", "ifExists", "createRace"),
                "ConditionFailedException");
        assertFalse(f.containsKey("utf8Order"), "unrelated tests must still pass: " + f.keySet());
    }

    @Test
    @DisplayName("Java String (UTF-16) sort order is caught")
    void javaStringOrder() {
        Map<String, String> f = failures(BrokenRuns.JavaStringOrderRun.class);
        assertCaught(f, Set.of("utf8Order"), "UTF-8 byte order");
        assertFalse(f.containsKey("ifAbsent"), "unrelated tests must still pass: " + f.keySet());
    }

    @Test
    @DisplayName("LIKE-style prefixes with wildcards are caught")
    void likePrefix() {
        Map<String, String> f = failures(BrokenRuns.LikePrefixRun.class);
        assertCaught(f, Set.of("literalPrefix"), "expected: <[a%, a%b]>");
    }

    @Test
    @DisplayName("a close() that returns while calls are still in flight is caught")
    void closesEarly() {
        Map<String, String> f = failures(BrokenRuns.ClosesEarlyRun.class);
        assertCaught(f, Set.of("closeWhileBusy"), "futures were still pending when close() returned");
        assertEquals(Set.of("closeWhileBusy"), f.keySet(), "only the close-while-busy test should fail: " + f.keySet());
    }

    @Test
    @DisplayName("transactions that give up on a hot key after one lost race are caught")
    void hotKeyGivesUp() {
        Map<String, String> f = failures(BrokenRuns.HotKeyGivesUpRun.class);
        assertCaught(f, Set.of("hotKey"), "ordinary contention must not fail a transaction");
        assertEquals(Set.of("hotKey"), f.keySet(), "only the hot-key test should fail: " + f.keySet());
    }

    @Test
    @DisplayName("a backend declaring EXPIRY whose queries return expired items is caught")
    void leaksExpired() {
        Map<String, String> f = failures(BrokenRuns.LeaksExpiredRun.class);
        assertCaught(f, Set.of("expiredIsAbsent"), "expected: <[later, never]>");
        assertTrue(f.keySet().stream().collect(Collectors.toSet()).size() < 10, "only expiry tests should fail: " + f.keySet());
    }

    @Test
    @DisplayName("a conditional delete that checks the version, then deletes, without atomicity is caught")
    void nonAtomicConditionalDelete() {
        Map<String, String> f = failures(BrokenRuns.NonAtomicDeleteRun.class);
        assertCaught(f, Set.of("deleteRace"), "several winners: the conditional delete checks the version, then deletes");
        assertFalse(f.containsKey("createRace"), "unrelated tests must still pass: " + f.keySet());
        assertFalse(f.containsKey("conditionalDelete"), "the bug shows only under concurrency: " + f.keySet());
    }

    @Test
    @DisplayName("a conditional put without a lock around its check and write is caught")
    void unlockedPut() {
        Map<String, String> f = failures(BrokenRuns.UnlockedPutRun.class);
        assertCaught(f, Set.of("createRace"), "several winners: the check that the key is absent is not atomic");
        assertFalse(f.containsKey("ifAbsent"), "the bug shows only under concurrency: " + f.keySet());
    }

    @Test
    @DisplayName("pages without a resume position are caught, and the message says so")
    void noResumePosition() {
        Map<String, String> f = failures(BrokenRuns.NoResumePositionRun.class);
        assertCaught(f, Set.of("cursorAfterDelete", "largePartition"), "returned no resume position");
        assertTrue(f.get("largePartition").contains("expected 1050 keys, got "), f.get("largePartition"));
        assertTrue(f.get("largePartition").length() < 2000, "the message lists a few keys, not all 1,050: "
                + f.get("largePartition").length() + " characters");
    }

    @Test
    @DisplayName("an in-memory engine that does not override persistent() is told to")
    void forgotPersistent() {
        Map<String, String> f = failures(BrokenRuns.ForgotPersistentRun.class);
        // Both checks that reopen see the missing data; each names the likely cause.
        assertEquals(Set.of("durableAcrossReopen", "closeWhileBusy"), f.keySet());
        for (String test : f.keySet()) {
            assertTrue(f.get(test).contains("override persistent() to return false"), test + ": " + f.get(test));
        }
    }

    @Test
    @DisplayName("cursors that carry the sort key in clear without an integrity check are caught by the cursor fuzz")
    void plainTextCursors() {
        Map<String, String> f = failures(BrokenRuns.PlainTextCursorsRun.class);
        assertCaught(f, Set.of("cursorFuzz"), "were not refused with ValidationException");
        String fuzz = f.get("cursorFuzz");
        assertTrue(fuzz.contains("re-encoded with the sort key in clear") && fuzz.contains("accepted"),
                "the fuzz should report re-encoded keys that resumed the query: " + fuzz);
        assertTrue(fuzz.contains("former plain-text format with a sort key of 1025 bytes: accepted"), "an over-long re-encoded key must be among the findings: " + fuzz);
        for (String unrelated : List.of("paging", "cursorAfterDelete", "ifAbsent", "utf8Order")) {
            assertFalse(f.containsKey(unrelated), "unrelated tests must still pass: " + f.keySet());
        }
    }

    @Test
    @DisplayName("cursors that resume any query, whatever partition, store, range or direction produced them, are caught")
    void unboundCursors() {
        Map<String, String> f = failures(BrokenRuns.UnboundCursorsRun.class);
        assertCaught(f, Set.of("cursorFuzz", "foreignCursorsOfEveryKind", "foreignCursor"), "another partition's cursor: accepted");
        assertFalse(f.containsKey("paging"), "unrelated tests must still pass: " + f.keySet());
    }

    @Test
    @DisplayName("cursors sealed under a per-instance random key, which do not survive a move to another instance or backend, are caught")
    void perInstanceSecret() {
        Map<String, String> f = failures(BrokenRuns.PerInstanceSecretRun.class);
        assertCaught(f, Set.of("portableCursors"), "ValidationException: cursor rejected");
        assertEquals(Set.of("portableCursors"), f.keySet(), "only portability should fail: " + f);
    }

    @Test
    @DisplayName("a transaction that commits again when committed twice is caught by the one-shot group")
    void reusableTransactions() {
        Map<String, String> f = failures(BrokenRuns.ReusableTransactionsRun.class);
        assertCaught(f, Set.of("secondCommit", "addAfterCommit"), "must fail with IllegalStateException");
        assertTrue(f.get("secondCommit").contains("second commit after success: completed with [2]"), f.get("secondCommit"));
        assertFalse(f.containsKey("paging") || f.containsKey("cursorFuzz"), "unrelated tests must still pass: " + f.keySet());
    }
}
