package dev.polystore.dynamodb;

import java.time.Duration;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;

/**
 * The SDK timeouts of each request, by class, set on every request the backend sends (the client
 * itself has none, so no request goes without the timeouts of its class):
 * <ul>
 *   <li><b>single-item</b> ({@code GetItem}, {@code PutItem}, {@code UpdateItem},
 *       {@code DeleteItem}, health checks, table polls): {@code api_call_timeout_ms} for
 *       the whole call with its retries, {@code api_call_attempt_timeout_ms} per attempt;</li>
 *   <li><b>bulk</b> ({@code Query} pages of up to 1 MB, {@code BatchGetItem} of up to 16 MB,
 *       {@code BatchWriteItem}, {@code TransactWriteItems} of up to 4 MB, table creation, the
 *       connection check at open, whose first request a cold engine may answer slowly):
 *       {@code bulk_call_timeout_ms} and {@code bulk_call_attempt_timeout_ms}.</li>
 * </ul>
 * A setting of 0 means no timeout of that kind. Immutable.
 */
final class Timeouts {
    private final Duration call;
    private final Duration attempt;
    private final Duration bulkCall;
    private final Duration bulkAttempt;

    Timeouts(DynamoDbSettings s) {
        this.call = s.apiCallTimeout();
        this.attempt = s.apiCallAttemptTimeout();
        this.bulkCall = s.bulkCallTimeout();
        this.bulkAttempt = s.bulkCallAttemptTimeout();
    }

    AwsRequestOverrideConfiguration single() {
        return single(null);
    }

    /** Single-item timeouts, with {@code log} attached when not null. */
    AwsRequestOverrideConfiguration single(AttemptLog log) {
        return build(call, attempt, log);
    }

    AwsRequestOverrideConfiguration bulk() {
        return bulk(null);
    }

    /** Bulk timeouts, with {@code log} attached when not null. */
    AwsRequestOverrideConfiguration bulk(AttemptLog log) {
        return build(bulkCall, bulkAttempt, log);
    }

    private static AwsRequestOverrideConfiguration build(Duration call, Duration attempt, AttemptLog log) {
        AwsRequestOverrideConfiguration.Builder b = AwsRequestOverrideConfiguration.builder()
                .apiCallTimeout(call)
                .apiCallAttemptTimeout(attempt);
        if (log != null) {
            log.attach(b);
        }
        return b.build();
    }
}
