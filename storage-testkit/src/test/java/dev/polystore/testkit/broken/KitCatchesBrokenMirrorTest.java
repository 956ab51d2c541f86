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

/** The mirror contract catches a mirror that forgets failed secondary writes and one that acknowledges early. */
class KitCatchesBrokenMirrorTest {

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
        assertFalse(failures.isEmpty(), "the mirror contract passed a broken mirror");
        for (String test : mustFail) {
            assertTrue(failures.containsKey(test), "contract test '" + test + "' should have failed; failures were "
                    + failures);
        }
        assertTrue(failures.values().stream().anyMatch(m -> m.contains(messageFragment)),
                "no failure message mentions '" + messageFragment + "': " + failures);
    }

    @Test
    @DisplayName("a mirror that drops failed secondary writes silently is caught")
    void dropsSecondaryFailures() {
        Map<String, String> f = failures(BrokenMirrors.DropsSecondaryFailuresRun.class);
        assertCaught(f, Set.of("secondaryFailureIsRepairedNeverLost"), "the secondary differs from the primary");
        assertFalse(f.containsKey("primaryFailureFailsCaller"), "primary failures are handled here: " + f.keySet());
    }

    @Test
    @DisplayName("a mirror that acknowledges before the primary answered is caught")
    void acknowledgesBeforePrimary() {
        Map<String, String> f = failures(BrokenMirrors.AcknowledgesBeforePrimaryRun.class);
        assertCaught(f, Set.of("notAcknowledgedBeforePrimary", "primaryFailureFailsCaller"),
                "acknowledged while the primary had not answered");
    }
}
