package dev.polystore.testkit;

import java.io.PrintStream;
import java.util.Map;
import java.util.TreeMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Names every skipped test and the reason, e.g. "backend 'x' does not declare capability BATCH",
 * so a capability a backend lacks is visible in the build log rather than a bare skip count
 * (Surefire's console summary drops assumption messages; its XML reports keep them). Registered
 * through {@code META-INF/services/org.junit.platform.launcher.TestExecutionListener}, so it is
 * active in every test run that has the testkit on its class path, with no configuration.
 *
 * <p>Lines look like {@code [polystore-testkit] SKIPPED MyStorageContractTest > batches > ...:
 * backend 'x' does not declare capability BATCH}, and the run ends with one summary line
 * counting the skips by reason. Set the system property {@value #QUIET_PROPERTY} to {@code true}
 * to turn them off.
 *
 * <p><b>Why standard output, not SLF4J.</b> This is a test reporter, like Surefire's own console
 * lines: the JUnit Platform calls it only while it runs tests, never in an application, and its
 * output is the test report itself. Logged through SLF4J, the reasons vanished whenever the test
 * class path had no SLF4J provider, which is the default for a new project; standard output is
 * shown by every build tool and kept in Surefire's report of the test. Skipped tests are counted
 * as skipped by JUnit and Surefire in any case; this class only makes the reasons visible.
 *
 * <p>Thread-safe: the platform may report tests from several threads.
 */
public final class SkippedTestReporter implements TestExecutionListener {
    /** System property that silences the report when set to {@code true}. */
    public static final String QUIET_PROPERTY = "polystore.testkit.quiet";
    /** The tag every line starts with. */
    public static final String TAG = "[polystore-testkit]";

    private final PrintStream out;
    private final Map<String, Integer> reasons = new TreeMap<>();
    private volatile TestPlan plan;
    private int skipped;

    /** Reports on standard output (as the service loader creates it). */
    public SkippedTestReporter() {
        this(System.out);
    }

    SkippedTestReporter(PrintStream out) {
        this.out = out;
    }

    private static boolean quiet() {
        return Boolean.getBoolean(QUIET_PROPERTY);
    }

    @Override
    public void testPlanExecutionStarted(TestPlan testPlan) {
        this.plan = testPlan;
        synchronized (this) {
            reasons.clear();
            skipped = 0;
        }
    }

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        report(test, reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            String reason = result.getThrowable().map(Throwable::getMessage).orElse("aborted");
            report(test, reason);
        }
    }

    @Override
    public void testPlanExecutionFinished(TestPlan testPlan) {
        if (quiet()) {
            return;
        }
        synchronized (this) {
            if (skipped == 0) {
                return;
            }
            StringBuilder line = new StringBuilder(TAG).append(' ').append(skipped)
                    .append(skipped == 1 ? " test or group skipped" : " tests or groups skipped").append(", by reason:");
            reasons.forEach((reason, n) -> line.append("\n").append(TAG).append("   ").append(n).append(" x ").append(reason));
            out.println(line);
            out.flush();
        }
    }

    private void report(TestIdentifier test, String reason) {
        String why = reason == null || reason.isBlank() ? "no reason given" : reason.replace("Assumption failed: ", "");
        synchronized (this) {
            skipped++;
            reasons.merge(why, 1, Integer::sum);
            if (!quiet()) {
                out.println(TAG + " SKIPPED " + describe(test) + ": " + why);
                out.flush();
            }
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
