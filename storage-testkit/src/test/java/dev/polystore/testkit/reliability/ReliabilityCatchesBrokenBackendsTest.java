package dev.polystore.testkit.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.polystore.StorageConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * The reliability suite is itself tested: pointed at a backend whose conditional put is an
 * unconditional put in disguise ({@code brokenconditions}, from the kit's broken backends), the
 * lost-update, create-race and random-history tests must fail, each saying what was lost, while
 * the tests that do not depend on conditions still pass.
 */
class ReliabilityCatchesBrokenBackendsTest {

    /** The suite on the broken backend; run through the engine below, not by Surefire (no "Test" suffix). */
    static class BrokenConditionsRun extends ReliabilityContract {
        @Override
        protected StorageConfig config(Path tempDir) {
            return StorageConfig.builder().backend("brokenconditions").build();
        }
    }

    @Test
    @DisplayName("an unconditional put pretending to be conditional fails tests 1 to 3, with readable reasons")
    void ignoresConditions() {
        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(BrokenConditionsRun.class))
                .execute();
        Map<String, String> failed = new TreeMap<>();
        for (Event e : results.testEvents().failed().list()) {
            String method = e.getTestDescriptor().getSource().filter(MethodSource.class::isInstance)
                    .map(s -> ((MethodSource) s).getMethodName()).orElse("?");
            failed.put(method, e.getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable)
                    .map(String::valueOf).orElse(""));
        }
        assertEquals(5, results.testEvents().started().count(), "the suite has five tests");
        for (String test : List.of("lostUpdates", "createRace", "randomHistories")) {
            assertTrue(failed.containsKey(test), test + " must fail on brokenconditions; failures were " + failed.keySet());
        }
        assertTrue(failed.get("lostUpdates").contains("lost"), "lost updates are named: " + failed.get("lostUpdates"));
        assertTrue(failed.get("createRace").contains("more than one 'if absent' put"),
                "double creates are named: " + failed.get("createRace"));
        String history = failed.get("randomHistories");
        assertTrue(history.contains("seed") && history.contains("replay with -Dpolystore.reliability.seed="),
                "the failing seed is printed: " + history);
        assertTrue(history.contains("shrunk from") && history.contains("ConditionFailedException"),
                "the history is shrunk and shows the condition the backend ignored: " + history);
        int shrunkTo = Integer.parseInt(history.replaceAll("(?s).*shrunk from \\d+ to (\\d+) operations.*", "$1"));
        assertTrue(shrunkTo <= 3, "a condition ignored needs at most a write and a conditional write; shrunk to "
                + shrunkTo + ":\n" + history);
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
}
