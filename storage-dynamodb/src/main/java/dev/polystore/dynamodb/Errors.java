package dev.polystore.dynamodb;

import dev.polystore.ConfigurationException;
import dev.polystore.Key;
import dev.polystore.OutcomeUnknownException;
import dev.polystore.StoreException;
import dev.polystore.UnavailableException;
import dev.polystore.ValidationException;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.model.ItemCollectionSizeLimitExceededException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;

/**
 * Maps SDK failures to the portable kinds, always keeping the SDK exception as the cause:
 * throttling and 5xx and I/O → {@link UnavailableException} (retryable); a write that may have
 * been applied → {@link OutcomeUnknownException}; DynamoDB validation → {@link ValidationException};
 * refused credentials or a missing table → {@link ConfigurationException}.
 */
final class Errors {
    private static final Set<String> THROTTLING = Set.of("ThrottlingException", "ProvisionedThroughputExceededException",
            "RequestLimitExceeded", "ThrottlingError", "TooManyRequestsException");
    private static final Set<String> AUTH = Set.of("UnrecognizedClientException", "InvalidSignatureException",
            "AccessDeniedException", "MissingAuthenticationTokenException", "IncompleteSignatureException",
            "ExpiredTokenException", "InvalidClientTokenId");

    private Errors() {
    }

    static Throwable unwrap(Throwable t) {
        Throwable current = t;
        while ((current instanceof CompletionException || current instanceof ExecutionException)
                && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }

    static boolean isThrottling(Throwable t) {
        return t instanceof AwsServiceException e && (e.isThrottlingException()
                || (e.awsErrorDetails() != null && THROTTLING.contains(e.awsErrorDetails().errorCode())));
    }

    /** DynamoDB refused the call for lack of an IAM permission (the credentials themselves were accepted). */
    static boolean isAccessDenied(Throwable t) {
        return t instanceof AwsServiceException e && e.awsErrorDetails() != null
                && "AccessDeniedException".equals(e.awsErrorDetails().errorCode());
    }

    /** A failed read (or a write known not to have been applied). */
    static StoreException read(String what, Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof StoreException se) {
            return se;
        }
        StoreException common = common(what, t);
        if (common != null) {
            return common;
        }
        return new UnavailableException(what + " failed: " + describe(t), t);
    }

    /**
     * A failed write: {@link OutcomeUnknownException} if some attempt may have been applied
     * (according to {@code log}), otherwise as {@link #read}.
     */
    static StoreException write(String what, Key key, Throwable failure, AttemptLog log) {
        Throwable t = unwrap(failure);
        if (t instanceof StoreException se) {
            return se;
        }
        if (log.mayHaveApplied()) {
            return new OutcomeUnknownException(what + " may or may not have been applied: " + log
                    + ", ending with " + describe(t) + ". Read the item to learn its state.", key, t);
        }
        return read(what, t);
    }

    /** Whether the SDK gave up on the call or its last attempt because a configured timeout passed. */
    static boolean isTimeout(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ApiCallTimeoutException || t instanceof ApiCallAttemptTimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static StoreException common(String what, Throwable t) {
        if (isTimeout(t)) {
            return new UnavailableException(what + " timed out: " + describe(t) + ". DynamoDB (or the path to it) did "
                    + "not answer in time; retry later, or raise storage.dynamodb.api_call_timeout_ms / "
                    + "bulk_call_timeout_ms (and their _attempt_ keys) if the engine is merely slow", t);
        }
        if (isThrottling(t)) {
            return new UnavailableException(what + " was throttled by DynamoDB after the SDK's retries: "
                    + describe(t) + ". Retry later, or raise the table's capacity", t);
        }
        if (t instanceof ResourceNotFoundException) {
            return new ConfigurationException(what + " failed: the DynamoDB table does not exist (deleted after "
                    + "Polystore prepared it?): " + describe(t), t);
        }
        if (t instanceof ItemCollectionSizeLimitExceededException) {
            return new ValidationException(what + " was refused: " + describe(t), t);
        }
        if (t instanceof AwsServiceException e) {
            String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
            if (AUTH.contains(code) || e.statusCode() == 403) {
                return new ConfigurationException(what + " was refused by DynamoDB (" + code + "): check the "
                        + "credentials, storage.dynamodb.profile and storage.dynamodb.region: " + describe(t), t);
            }
            if ("ValidationException".equals(code)) {
                return new ValidationException(what + " was refused by DynamoDB: " + describe(t), t);
            }
        }
        if (t instanceof SdkClientException && String.valueOf(t.getMessage()).contains("credentials")) {
            return new ConfigurationException(what + " failed: no AWS credentials could be loaded (" + t.getMessage()
                    + "). Use the SDK's default chain (environment, profile files, instance role), set "
                    + "storage.dynamodb.profile, or storage.dynamodb.credentials = \"local\" for DynamoDB Local", t);
        }
        return null;
    }

    static String describe(Throwable t) {
        if (t instanceof AwsServiceException e && e.awsErrorDetails() != null) {
            return e.awsErrorDetails().errorCode() + " (HTTP " + e.statusCode() + "): " + e.awsErrorDetails().errorMessage();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }
}
