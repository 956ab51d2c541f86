package dev.polystore.dynamodb;

import java.net.ConnectException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.reactivestreams.Publisher;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.http.async.AsyncExecuteRequest;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.async.SdkAsyncHttpResponseHandler;

/**
 * What happened to each HTTP attempt of one SDK call, so that a write's final answer can be
 * judged: the SDK retries after I/O errors and 5xx responses, and an attempt that got no
 * answer (or a 5xx) may have been applied by the server. A later "condition failed" may then
 * be the write failing against its own earlier success.
 *
 * <p>An attempt counts as <b>definitely not applied</b> if the server answered with a 4xx
 * status (throttling, validation, condition failed: DynamoDB applies nothing then), or if the
 * connection could not even be opened (nothing was sent). Everything else may have been applied.
 *
 * <p>Attempts are recorded by {@link Interceptor} (one per started attempt, the status of each
 * response) and by {@link HttpClient} (attempts whose connection was refused), which find the
 * log through the SDK's invocation id header. Thread-safe: the SDK calls both from its own threads.
 */
final class AttemptLog {
    static final ExecutionAttribute<AttemptLog> ATTRIBUTE = new ExecutionAttribute<>("polystore.attempts");
    private static final ExecutionAttribute<String> INVOCATION = new ExecutionAttribute<>("polystore.invocation");
    private static final String INVOCATION_HEADER = "amz-sdk-invocation-id";
    private static final String REQUEST_HEADER = "amz-sdk-request";
    private static final Pattern ATTEMPT = Pattern.compile("attempt=(\\d+)");

    /** Status of an attempt whose connection was refused: nothing reached the server. */
    private static final int NOT_SENT = -1;
    /** Status of an attempt with no response (yet): it may have been applied. */
    private static final int NO_RESPONSE = 0;

    private final List<Integer> statuses = new ArrayList<>();

    /** Request override that attaches this log to one SDK call. */
    AwsRequestOverrideConfiguration override() {
        return AwsRequestOverrideConfiguration.builder().putExecutionAttribute(ATTRIBUTE, this).build();
    }

    synchronized void attemptStarted() {
        statuses.add(NO_RESPONSE);
    }

    synchronized void responseReceived(int status) {
        if (!statuses.isEmpty()) {
            statuses.set(statuses.size() - 1, status);
        }
    }

    /** Attempt {@code attempt} (from 1) could not connect. */
    synchronized void notSent(int attempt) {
        if (attempt >= 1 && attempt <= statuses.size() && statuses.get(attempt - 1) == NO_RESPONSE) {
            statuses.set(attempt - 1, NOT_SENT);
        }
    }

    synchronized int attempts() {
        return statuses.size();
    }

    /**
     * Whether an attempt before the last one may have been applied. When false, the last
     * attempt's answer is the whole truth about the call.
     */
    synchronized boolean earlierAttemptMayHaveApplied() {
        for (int i = 0; i < statuses.size() - 1; i++) {
            if (mayHaveApplied(statuses.get(i))) {
                return true;
            }
        }
        return false;
    }

    /** Whether a call that ended with {@code failure} may have been applied by some attempt. */
    synchronized boolean mayHaveApplied(Throwable failure) {
        if (earlierAttemptMayHaveApplied()) {
            return true;
        }
        if (statuses.isEmpty()) {
            return false; // never sent (e.g. credentials could not be resolved)
        }
        int last = statuses.get(statuses.size() - 1);
        if (last != NO_RESPONSE) {
            return mayHaveApplied(last);
        }
        return !isConnectFailure(failure);
    }

    private static boolean mayHaveApplied(int status) {
        return status == NO_RESPONSE || status >= 500;
    }

    static boolean isConnectFailure(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return true;
            }
        }
        return false;
    }

    @Override
    public synchronized String toString() {
        return statuses.size() + " attempt(s), HTTP statuses " + statuses + " (0 = no response, -1 = not sent)";
    }

    /** Logs of calls in flight, by the SDK's invocation id (one per call, the same on every attempt). */
    static final class Registry {
        private final Map<String, AttemptLog> byInvocation = new ConcurrentHashMap<>();

        void connectFailed(SdkHttpRequest request) {
            Optional<String> id = request.firstMatchingHeader(INVOCATION_HEADER);
            Optional<String> attempt = request.firstMatchingHeader(REQUEST_HEADER);
            if (id.isEmpty() || attempt.isEmpty()) {
                return;
            }
            AttemptLog log = byInvocation.get(id.get());
            Matcher m = ATTEMPT.matcher(attempt.get());
            if (log != null && m.find()) {
                log.notSent(Integer.parseInt(m.group(1)));
            }
        }
    }

    /** Records attempts of calls that carry an {@link AttemptLog}; others pass untouched. */
    static final class Interceptor implements ExecutionInterceptor {
        private final Registry registry;

        Interceptor(Registry registry) {
            this.registry = registry;
        }

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            AttemptLog log = attributes.getAttribute(ATTRIBUTE);
            if (log != null) {
                log.attemptStarted();
                context.httpRequest().firstMatchingHeader(INVOCATION_HEADER).ifPresent(id -> {
                    registry.byInvocation.put(id, log);
                    attributes.putAttribute(INVOCATION, id);
                });
            }
        }

        @Override
        public void afterTransmission(Context.AfterTransmission context, ExecutionAttributes attributes) {
            AttemptLog log = attributes.getAttribute(ATTRIBUTE);
            if (log != null) {
                log.responseReceived(context.httpResponse().statusCode());
            }
        }

        @Override
        public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
            forget(attributes);
        }

        @Override
        public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
            forget(attributes);
        }

        private void forget(ExecutionAttributes attributes) {
            String id = attributes.getAttribute(INVOCATION);
            if (id != null) {
                registry.byInvocation.remove(id);
            }
        }
    }

    /**
     * Wraps the HTTP client to tell the {@link Registry} which attempts never connected, before
     * the SDK hears of the failure.
     */
    static final class HttpClient implements SdkAsyncHttpClient {
        private final SdkAsyncHttpClient delegate;
        private final Registry registry;

        HttpClient(SdkAsyncHttpClient delegate, Registry registry) {
            this.delegate = delegate;
            this.registry = registry;
        }

        @Override
        public CompletableFuture<Void> execute(AsyncExecuteRequest request) {
            SdkHttpRequest http = request.request();
            SdkAsyncHttpResponseHandler handler = request.responseHandler();
            AsyncExecuteRequest.Builder wrapped = AsyncExecuteRequest.builder()
                    .request(http)
                    .requestContentPublisher(request.requestContentPublisher())
                    .fullDuplex(request.fullDuplex())
                    .httpExecutionAttributes(request.httpExecutionAttributes())
                    .responseHandler(new SdkAsyncHttpResponseHandler() {
                        @Override
                        public void onHeaders(SdkHttpResponse headers) {
                            handler.onHeaders(headers);
                        }

                        @Override
                        public void onStream(Publisher<ByteBuffer> stream) {
                            handler.onStream(stream);
                        }

                        @Override
                        public void onError(Throwable error) {
                            if (isConnectFailure(error)) {
                                registry.connectFailed(http);
                            }
                            handler.onError(error);
                        }
                    });
            request.metricCollector().ifPresent(wrapped::metricCollector);
            CompletableFuture<Void> result = new CompletableFuture<>();
            delegate.execute(wrapped.build()).whenComplete((v, e) -> {
                if (e != null) {
                    if (isConnectFailure(e)) {
                        registry.connectFailed(http);
                    }
                    result.completeExceptionally(e);
                } else {
                    result.complete(v);
                }
            });
            return result;
        }

        @Override
        public String clientName() {
            return delegate.clientName();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
