package dev.polystore.testkit.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import dev.polystore.StorageConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * The reliability suite is itself tested against deliberately broken backends (the kit's
 * {@code broken*} test providers): each must make specific tests fail with a reason that says
 * what went wrong, while the tests that do not depend on the bug still pass. Seeds are fixed
 * here so that the self-test is deterministic.
 */
class ReliabilityCatchesBrokenBackendsTest {
    /** Fixed first seed of the random histories in these runs. */
    static final long SEED = 20_261_122L;

    /** The suite on one broken backend; run through the engine below, not by Surefire (no "Test" suffix). */
    abstract static class Run extends ReliabilityContract {
        abstract String backend();

        @Override
        protected StorageConfig config(Path tempDir) {
            return StorageConfig.builder().backend(backend()).build();
        }

        @Override
        protected long firstHistorySeed() {
            return SEED;
        }
    }

    static class IgnoresConditionsRun extends Run {
        @Override
        String backend() {
            return "brokenconditions";
        }
    }

    static class JavaStringOrderRun extends Run {
        @Override
        String backend() {
            return "brokenorder";
        }
    }

    static class LikePrefixRun extends Run {
        @Override
        String backend() {
            return "brokenprefix";
        }
    }

    static class LeakingExpiryRun extends Run {
        @Override
        String backend() {
            return "brokenexpiryleak";
        }
    }

    static class RestartingCursorRun extends Run {
        @Override
        String backend() {
            return "brokenresume";
        }
    }

    /** Runs the selected tests; returns failed test method → failure message, and checks how many ran. */
    private static Map<String, String> failures(int expectedTests, DiscoverySelector... selectors) {
        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter").selectors(selectors).execute();
        Map<String, String> failed = new TreeMap<>();
        for (Event e : results.testEvents().failed().list()) {
            String method = e.getTestDescriptor().getSource().filter(MethodSource.class::isInstance)
                    .map(s -> ((MethodSource) s).getMethodName()).orElse("?");
            failed.put(method, e.getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable)
                    .map(String::valueOf).orElse(""));
        }
        assertEquals(expectedTests, results.testEvents().started().count(), "tests run");
        return failed;
    }

    private static int shrunkTo(String message) {
        assertTrue(message.contains("shrunk from"), "the failing history is shrunk: " + message);
        return Integer.parseInt(message.replaceAll("(?s).*shrunk from \\d+ to (\\d+) operations.*", "$1"));
    }

    @Test
    @DisplayName("an unconditional put pretending to be conditional fails tests 1 to 3, with readable reasons")
    void ignoresConditions() {
        Map<String, String> failed = failures(5, selectClass(IgnoresConditionsRun.class));
        for (String test : List.of("lostUpdates", "createRace", "randomHistories")) {
            assertTrue(failed.containsKey(test), test + " must fail on brokenconditions; failures were " + failed.keySet());
        }
        assertTrue(failed.get("lostUpdates").contains("increments were lost"), failed.get("lostUpdates"));
        assertTrue(failed.get("createRace").contains("more than one 'if absent' put"), failed.get("createRace"));
        String history = failed.get("randomHistories");
        assertTrue(history.contains("(seed " + SEED + ")") && history.contains("replay with -Dpolystore.reliability.seed="),
                "the failing seed is printed: " + history);
        assertTrue(history.contains("ConditionFailedException"), "the history shows the ignored condition: " + history);
        assertTrue(shrunkTo(history) <= 2, "an ignored condition needs at most a write and a conditional write:\n" + history);
        // The corpus probes the portable error kinds too, so it fails, but only there.
        String corpus = failed.get("badInputCorpus");
        assertTrue(corpus != null && corpus.contains("put if absent over an existing item: expected failed ConditionFailedException"),
                "the corpus's condition probes must fail: " + corpus);
        for (String line : corpus.substring(corpus.indexOf('\n') + 1, corpus.indexOf("whole corpus:")).split("\n")) {
            assertTrue(line.startsWith("  errors are portable kinds:") || line.startsWith("  read back partition 'bad'"),
                    "only condition probes (and the partition they wrote into) may fail: " + line);
        }
        assertFalse(failed.containsKey("pagesUnderConcurrentWrites"), "paging does not depend on conditions: " + failed);
    }

    @Test
    @DisplayName("Java String (UTF-16) sort order fails the random histories and the corpus's sort order rule")
    void javaStringOrder() {
        Map<String, String> failed = failures(2, selectMethod(JavaStringOrderRun.class, "randomHistories"),
                selectMethod(JavaStringOrderRun.class, "badInputCorpus"));
        assertTrue(failed.containsKey("randomHistories"), "histories must catch UTF-16 order: " + failed.keySet());
        assertTrue(shrunkTo(failed.get("randomHistories")) <= 4, failed.get("randomHistories"));
        assertTrue(failed.get("badInputCorpus").contains("sort keys order by UTF-8 bytes: between U+E000 and U+10000"),
                failed.get("badInputCorpus"));
    }

    @Test
    @DisplayName("LIKE-style prefixes with wildcards fail the random histories and the corpus's literal prefix rule")
    void likePrefix() {
        Map<String, String> failed = failures(2, selectMethod(LikePrefixRun.class, "randomHistories"),
                selectMethod(LikePrefixRun.class, "badInputCorpus"));
        assertTrue(failed.containsKey("randomHistories"), "histories must catch wildcard prefixes: " + failed.keySet());
        assertTrue(shrunkTo(failed.get("randomHistories")) <= 4, failed.get("randomHistories"));
        assertTrue(failed.get("badInputCorpus").contains("prefix characters are literal: prefix a_"),
                failed.get("badInputCorpus"));
    }

    @Test
    @DisplayName("expired items leaking into queries fail the random histories, which move the clock")
    void leaksExpired() {
        Map<String, String> failed = failures(1, selectMethod(LeakingExpiryRun.class, "randomHistories"));
        assertTrue(failed.containsKey("randomHistories"), "histories must catch leaked expired items: " + failed.keySet());
        String history = failed.get("randomHistories");
        assertTrue(shrunkTo(history) <= 4, history);
        String shrunk = history.substring(history.indexOf("shrunk from"), history.indexOf("which differs"));
        assertTrue(shrunk.contains("expiring in") && shrunk.contains("clock +"),
                "the shrunk history writes an expiring item and moves the clock past it:\n" + history);
    }

    @Test
    @DisplayName("a cursor that starts over when its key was deleted fails paging under concurrent writes only")
    void restartingCursor() {
        Map<String, String> failed = failures(5, selectClass(RestartingCursorRun.class));
        assertEquals(List.of("pagesUnderConcurrentWrites"), List.copyOf(failed.keySet()), "only test 5 may fail: " + failed);
        assertTrue(failed.get("pagesUnderConcurrentWrites").contains("key seen twice")
                || failed.get("pagesUnderConcurrentWrites").contains("out of order"), failed.get("pagesUnderConcurrentWrites"));
    }
}
