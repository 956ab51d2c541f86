package dev.polystore.testkit.broken;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/** The migration contract catches a broken import and a broken scan, with messages that say what went wrong. */
class KitCatchesBrokenMigrationTest {

    private static Map<String, String> failures(Class<?> run) {
        Map<String, String> byMethod = new TreeMap<>();
        for (Event e : EngineTestKit.engine("junit-jupiter").selectors(selectClass(run)).execute().testEvents().failed()
                .list()) {
            String method = e.getTestDescriptor().getSource().filter(MethodSource.class::isInstance)
                    .map(s -> ((MethodSource) s).getMethodName()).orElse("?");
            byMethod.put(method, e.getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable)
                    .map(String::valueOf).orElse(""));
        }
        return byMethod;
    }

    private static void assertCaught(Map<String, String> failures, Set<String> mustFail, String messageFragment) {
        assertFalse(failures.isEmpty(), "the migration contract passed a broken backend");
        for (String test : mustFail) {
            assertTrue(failures.containsKey(test), "contract test '" + test + "' should have failed; failures were "
                    + failures.keySet());
        }
        assertTrue(failures.values().stream().anyMatch(m -> m.contains(messageFragment)),
                "no failure message mentions '" + messageFragment + "': " + failures);
    }

    @Test
    @DisplayName("an import that ignores IF_NEWER (always overwrites) is caught")
    void importIgnoresMode() {
        Map<String, String> f = failures(BrokenMigrationBackends.ImportIgnoresModeRun.class);
        assertCaught(f, Set.of("repeatedImportIsNoOp", "ifNewerSemantics", "importNeverGoesBackwards"),
                "an older version must not replace a newer one");
        assertFalse(f.containsKey("segmentsCoverEachItemOnce"), "scanning is not broken here: " + f.keySet());
    }

    @Test
    @DisplayName("a scan that resumes one item too far is caught, naming the dropped keys")
    void resumeSkipsItem() {
        Map<String, String> f = failures(BrokenMigrationBackends.ResumeSkipsItemRun.class);
        assertCaught(f, Set.of("segmentsCoverEachItemOnce", "scanThenImport", "expiredSkipped"),
                "never seen (a boundary key dropped?)");
        assertFalse(f.containsKey("ifNewerSemantics"), "importing is not broken here: " + f.keySet());
    }
}
