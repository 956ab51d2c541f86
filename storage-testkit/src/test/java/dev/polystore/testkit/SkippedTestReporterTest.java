package dev.polystore.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

/** The skip report needs no logging setup, and skipped dynamic tests count as skipped tests. */
class SkippedTestReporterTest {
    /** Run by the launcher below only (a nested class: Surefire does not pick it up). */
    static class Subject {
        @Test
        void passes() {
        }

        @Test
        void lacksBatch() {
            Assumptions.assumeTrue(false, "backend 'x' does not declare capability BATCH");
        }

        @TestFactory
        Stream<DynamicTest> corpus() {
            return Stream.of(DynamicTest.dynamicTest("the corpus", () -> Assumptions.assumeTrue(false,
                    "backend 'x' does not declare capability TRANSACTIONS")));
        }
    }

    @Test
    void namesEverySkipAndItsReasonOnItsOwnStream() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SkippedTestReporter reporter = new SkippedTestReporter(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        Launcher launcher = LauncherFactory.create(LauncherConfig.builder()
                .enableTestExecutionListenerAutoRegistration(false).build());
        launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(Subject.class)).build(),
                reporter, summary);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("Subject > lacksBatch(): backend 'x' does not declare capability BATCH"), out);
        assertTrue(out.contains("Subject > corpus() > the corpus: backend 'x' does not declare capability TRANSACTIONS"), out);
        assertTrue(out.contains("2 tests or groups skipped, by reason:"), out);
        assertEquals(2, summary.getSummary().getTestsAbortedCount(), "both skips, the dynamic one too, count as skipped tests");
        assertEquals(1, summary.getSummary().getTestsSucceededCount());
    }
}
