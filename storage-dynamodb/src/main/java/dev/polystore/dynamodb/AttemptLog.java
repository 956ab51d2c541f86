package dev.polystore.dynamodb;

import java.net.ConnectException;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;

/**
 * What happened to each HTTP attempt of one SDK call, so that a write's final answer can be
 * judged: the SDK retries after I/O errors and 5xx responses, and an attempt that got no
 * answer (or a 5xx) may have been applied by the server. A later "condition failed" may then
 * be the write failing against its own earlier success.
 *
 * <p>An attempt counts as <b>definitely not applied</b> only if the server answered with a 4xx
 * status (throttling, validation, condition failed): DynamoDB applies nothing in those cases.
 * Thread-safe: the SDK calls the interceptor from its own threads.
 */
final class AttemptLog {
    static final ExecutionAttribute<AttemptLog> ATTRIBUTE = new ExecutionAttribute<>("polystore.attempts");

    /** Status of each attempt: 0 while no response has arrived. */
    private final List<Integer> statuses = new ArrayList<>();

    /** Request override that attaches this log to one SDK call. */
    AwsRequestOverrideConfiguration override() {
        return AwsRequestOverrideConfiguration.builder().putExecutionAttribute(ATTRIBUTE, this).build();
    }

    synchronized void attemptStarted() {
        statuses.add(0);
    }

    synchronized void responseReceived(int status) {
        if (!statuses.isEmpty()) {
            statuses.set(statuses.size() - 1, status);
        }
    }

    synchronized int attempts() {
        return statuses.size();
    }

    /**
     * Whether an attempt before the last one may have been applied: it got no response or a
     * 5xx. When false, the last attempt's answer is the whole truth about the call.
     */
    synchronized boolean earlierAttemptMayHaveApplied() {
        for (int i = 0; i < statuses.size() - 1; i++) {
            if (mayHaveApplied(statuses.get(i))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a call that ended with {@code failure} may have been applied by some attempt:
     * an earlier attempt was ambiguous, or the last got no 4xx answer and did not fail to
     * connect.
     */
    synchronized boolean mayHaveApplied(Throwable failure) {
        if (earlierAttemptMayHaveApplied()) {
            return true;
        }
        if (statuses.isEmpty()) {
            return false; // never sent (e.g. credentials could not be resolved)
        }
        int last = statuses.get(statuses.size() - 1);
        if (last != 0) {
            return mayHaveApplied(last);
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return false; // the connection was refused: nothing reached the server
            }
        }
        return true;
    }

    private static boolean mayHaveApplied(int status) {
        return status == 0 || status >= 500;
    }

    @Override
    public synchronized String toString() {
        return statuses.size() + " attempt(s), HTTP statuses " + statuses + " (0 = no response)";
    }

    /** Records attempts of calls that carry an {@link AttemptLog}; others pass untouched. */
    static final class Interceptor implements ExecutionInterceptor {
        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            AttemptLog log = attributes.getAttribute(ATTRIBUTE);
            if (log != null) {
                log.attemptStarted();
            }
        }

        @Override
        public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
            AttemptLog log = attributes.getAttribute(ATTRIBUTE);
            if (log != null) {
                log.responseReceived(context.httpResponse().statusCode());
            }
        }
    }
}
