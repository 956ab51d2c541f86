package dev.polystore.testkit.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * The native index contracts on the kit's own reference accelerator over memory: everything
 * passes, nothing is skipped; and the contracts catch an accelerator that forgets entry deletes.
 */
class MemoryNativeIndexContractTest {

    private static org.junit.platform.testkit.engine.Events run(Class<?> suite) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(suite)).execute().testEvents();
    }

    private static List<String> failed(Class<?> suite) {
        return EngineTestKit.engine("junit-jupiter").selectors(selectClass(suite)).execute().testEvents().failed()
                .list().stream().map(e -> e.getTestDescriptor().getDisplayName() + ": "
                        + e.getPayload(org.junit.platform.engine.TestExecutionResult.class)
                        .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).map(String::valueOf)
                        .orElse("")).toList();
    }

    @Test
    @DisplayName("a correct accelerator passes NativeIndexContract and IndexContract, nothing skipped")
    void correctAcceleratorPasses() {
        for (Class<?> suite : List.of(MemoryNativeIndexTests.NativeContract.class,
                MemoryNativeIndexTests.IndexContractNatively.class)) {
            assertEquals(List.of(), failed(suite), suite.getSimpleName());
            org.junit.platform.testkit.engine.Events events = run(suite);
            assertEquals(0, events.skipped().count(), suite.getSimpleName() + " skipped tests");
            assertEquals(0, events.aborted().count(), suite.getSimpleName() + " aborted (assumption-skipped) tests");
            org.junit.jupiter.api.Assertions.assertTrue(events.succeeded().count() > 0, suite.getSimpleName());
        }
    }

    @Test
    @DisplayName("an accelerator that forgets entry deletes: the native-vs-portable history and the moves catch it")
    void forgottenDeletesAreCaught() {
        List<String> nativeFailures = failed(MemoryNativeIndexTests.ForgetsDeletes.class);
        org.junit.jupiter.api.Assertions.assertTrue(nativeFailures.stream()
                        .anyMatch(f -> f.startsWith("a random history gives the same index answers") && f.contains("mismatches")),
                "NativeIndexContract's random history must catch forgotten deletes; failed: " + nativeFailures);
        List<String> indexFailures = failed(MemoryNativeIndexTests.IndexContractForgetsDeletes.class);
        org.junit.jupiter.api.Assertions.assertTrue(indexFailures.stream()
                        .anyMatch(f -> f.startsWith("an entry follows its item")),
                "IndexContract must catch forgotten deletes; failed: " + indexFailures);
    }

    @Test
    @DisplayName("an accelerator that writes a unique key over another item's: the unique-key checks and the race catch it")
    void ignoredHoldersAreCaught() {
        List<String> failures = failed(MemoryNativeIndexTests.IndexContractIgnoresHolders.class);
        for (String test : List.of("a unique index refuses", "8 writers claim")) {
            org.junit.jupiter.api.Assertions.assertTrue(failures.stream().anyMatch(f -> f.toLowerCase().contains(test)),
                    "IndexContract must catch a second holder of a unique key (" + test + "); failed: " + failures);
        }
    }
}
