package dev.polystore.testkit;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Names every skipped test and the reason, e.g. "backend 'x' does not declare capability BATCH",
 * so a capability a backend lacks is visible in the build log rather than a bare skip count
 * (Surefire's reports drop assumption messages). Registered through
 * {@code META-INF/services/org.junit.platform.launcher.TestExecutionListener}, so it is active
 * in every module that has the testkit on its test class path.
 */
public final class SkippedTestReporter implements TestExecutionListener {
    private static final Logger LOG = LoggerFactory.getLogger("dev.polystore.testkit.skipped");

    private TestPlan plan;

    @Override
    public void testPlanExecutionStarted(TestPlan testPlan) {
        this.plan = testPlan;
    }

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        LOG.warn("SKIPPED {}: {}", describe(test), reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            String reason = result.getThrowable().map(Throwable::getMessage).orElse("aborted");
            LOG.warn("SKIPPED {}: {}", describe(test), reason);
        }
    }

    private String describe(TestIdentifier test) {
        StringBuilder path = new StringBuilder(test.getDisplayName());
        TestPlan p = plan;
        if (p != null) {
            var parent = p.getParent(test);
            while (parent.isPresent() && parent.get().getParentId().isPresent()) {
                path.insert(0, parent.get().getDisplayName() + " > ");
                parent = p.getParent(parent.get());
            }
        }
        return path.toString();
    }
}
