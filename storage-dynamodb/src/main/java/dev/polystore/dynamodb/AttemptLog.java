package dev.polystore.dynamodb;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
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
import software.amazon.awssdk.http.async.SdkHttpContentPublisher;

/**
 * What happened to each HTTP attempt of one SDK call, so that a write's final answer can be
 * judged: the SDK retries after I/O errors, timeouts and 5xx responses, and an attempt that
 * reached the server may have been applied by it. A later "condition failed" may then be the
 * write failing against its own earlier success.
 *
 * <p>An attempt counts as <b>definitely not applied</b> only if
 * <ul>
 *   <li>the server answered it with a 4xx status (throttling, validation, condition failed:
 *       DynamoDB applies nothing then), or</li>
 *   <li>its request was never handed to a connection: the HTTP client subscribes to a request's
 *       body only once it holds a connection, so a request that failed to connect, waited in
 *       vain for a pooled connection (acquire timeout, a closed pool) or was given up by the
 *       SDK's attempt timeout while it waited was never sent. Such an attempt is
 *       <em>abandoned</em> when it is judged: should the HTTP client still get a connection for
 *       it later, its body refuses to be sent, so the judgement stays true.</li>
 * </ul>
 * Everything else may have been applied: a request that was sent and got no answer, a 5xx, and
 * also a 2xx whose response body did not arrive complete (the server applied the write and began
 * to answer).
 *
 * <p>Attempts are recorded by {@link Interceptor} (one per attempt the SDK starts) and followed
 * by {@link HttpClient} (whether the body was handed to a connection, the status of the
 * response), which finds the log through the SDK's invocation id and attempt headers.
 * Thread-safe: the SDK and the HTTP client call both from their own threads.
 */
final class AttemptLog {
    static final ExecutionAttribute<AttemptLog> ATTRIBUTE = new ExecutionAttribute<>("polystore.attempts");
    private static final ExecutionAttribute<String> INVOCATION = new ExecutionAttribute<>("polystore.invocation");
    private static final String INVOCATION_HEADER = "amz-sdk-invocation-id";
    private static final String REQUEST_HEADER = "amz-sdk-request";
    private static final Pattern ATTEMPT = Pattern.compile("attempt=(\\d+)");

    private final List<Attempt> attempts = new ArrayList<>();

    /** One HTTP attempt of a call. Thread-safe. */
    static final class Attempt {
        /** Not (yet) handed to a connection. */
        private static final int WAITING = 0;
        /** Its body was handed to a connection: it may have reached the server. */
        private static final int SENDING = 1;
        /** Judged "never sent" while waiting; it will never be sent. */
        private static final int ABANDONED = 2;

        private final AtomicInteger state = new AtomicInteger(WAITING);
        /** Status of the response headers, 0 while none arrived. */
        private volatile int status;

        /**
         * The HTTP client is about to send the request on a connection. False if the attempt
         * was already judged never sent: it must not be sent now.
         */
        boolean startSending() {
            return state.compareAndSet(WAITING, SENDING) || state.get() == SENDING;
        }

        void headers(int statusCode) {
            this.status = statusCode;
        }

        /** Whether the server may have applied this attempt; abandons it if it was never sent. */
        boolean mayHaveApplied() {
            int s = status;
            if (s != 0) {
                return s < 400 || s >= 500;
            }
            if (state.compareAndSet(WAITING, ABANDONED)) {
                return false;
            }
            return state.get() == SENDING;
        }

        @Override
        public String toString() {
            int s = status;
            if (s != 0) {
                return "HTTP " + s;
            }
            return switch (state.get()) {
                case SENDING -> "sent, no answer";
                case ABANDONED -> "never sent";
                default -> "not sent yet";
            };
        }
    }

    /** Request override that attaches this log to one SDK call. */
    AwsRequestOverrideConfiguration override() {
        return attach(AwsRequestOverrideConfiguration.builder()).build();
    }

    /** Adds this log to a request override being built. */
    AwsRequestOverrideConfiguration.Builder attach(AwsRequestOverrideConfiguration.Builder builder) {
        return builder.putExecutionAttribute(ATTRIBUTE, this);
    }

    synchronized Attempt attemptStarted() {
        Attempt a = new Attempt();
        attempts.add(a);
        return a;
    }

    /** Attempt {@code number} (from 1), if it was started. */
    synchronized Optional<Attempt> attempt(int number) {
        return number >= 1 && number <= attempts.size() ? Optional.of(attempts.get(number - 1)) : Optional.empty();
    }

    synchronized int attempts() {
        return attempts.size();
    }

    /**
     * Whether an attempt before the last one may have been applied. When false, the last
     * attempt's answer is the whole truth about the call.
     */
    synchronized boolean earlierAttemptMayHaveApplied() {
        boolean may = false;
        for (int i = 0; i < attempts.size() - 1; i++) {
            may |= attempts.get(i).mayHaveApplied(); // judge every one, so each waiting one is abandoned
        }
        return may;
    }

    /**
     * Whether any attempt may have been applied, for a call that failed or is given up on (at
     * close). Attempts still waiting for a connection are abandoned: they will never be sent.
     */
    synchronized boolean mayHaveApplied() {
        boolean may = false;
        for (Attempt a : attempts) {
            may |= a.mayHaveApplied();
        }
        return may;
    }

    @Override
    public synchronized String toString() {
        return attempts.size() + " attempt(s): " + attempts;
    }

    /** Logs of calls in flight, by the SDK's invocation id (one per call, the same on every attempt). */
    static final class Registry {
        private final Map<String, AttemptLog> byInvocation = new ConcurrentHashMap<>();

        /** The attempt an HTTP request belongs to, if its call carries a log. */
        Optional<Attempt> attemptOf(SdkHttpRequest request) {
            Optional<String> id = request.firstMatchingHeader(INVOCATION_HEADER);
            Optional<String> header = request.firstMatchingHeader(REQUEST_HEADER);
            if (id.isEmpty() || header.isEmpty()) {
                return Optional.empty();
            }
            AttemptLog log = byInvocation.get(id.get());
            Matcher m = ATTEMPT.matcher(header.get());
            if (log == null || !m.find()) {
                return Optional.empty();
            }
            return log.attempt(Integer.parseInt(m.group(1)));
        }
    }

    /** Records the attempts of calls that carry an {@link AttemptLog}; others pass untouched. */
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
     * Wraps the HTTP client to follow each logged attempt: its body is handed over only through
     * {@link Attempt#startSending()} (so an abandoned attempt is never sent), and the status of
     * its response headers is recorded before the SDK sees them.
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
            Optional<Attempt> tracked = registry.attemptOf(request.request());
            if (tracked.isEmpty()) {
                return delegate.execute(request);
            }
            Attempt attempt = tracked.get();
            if (request.requestContentPublisher() == null) {
                // No body to follow (DynamoDB requests always have one): count it as sent from here.
                if (!attempt.startSending()) {
                    IOException abandoned = new IOException("Polystore gave this request attempt up before it was "
                            + "sent (reported as not applied), so it is not sent now");
                    request.responseHandler().onError(abandoned);
                    return CompletableFuture.failedFuture(abandoned);
                }
                return delegate.execute(request);
            }
            SdkAsyncHttpResponseHandler handler = request.responseHandler();
            AsyncExecuteRequest.Builder wrapped = AsyncExecuteRequest.builder()
                    .request(request.request())
                    .requestContentPublisher(new GuardedBody(request.requestContentPublisher(), attempt))
                    .fullDuplex(request.fullDuplex())
                    .httpExecutionAttributes(request.httpExecutionAttributes())
                    .responseHandler(new SdkAsyncHttpResponseHandler() {
                        @Override
                        public void onHeaders(SdkHttpResponse headers) {
                            attempt.headers(headers.statusCode());
                            handler.onHeaders(headers);
                        }

                        @Override
                        public void onStream(Publisher<ByteBuffer> stream) {
                            handler.onStream(stream);
                        }

                        @Override
                        public void onError(Throwable error) {
                            handler.onError(error);
                        }
                    });
            request.metricCollector().ifPresent(wrapped::metricCollector);
            return delegate.execute(wrapped.build());
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

    /** A request body that is handed to a connection only if its attempt was not abandoned. */
    private static final class GuardedBody implements SdkHttpContentPublisher {
        private final SdkHttpContentPublisher delegate;
        private final Attempt attempt;

        GuardedBody(SdkHttpContentPublisher delegate, Attempt attempt) {
            this.delegate = delegate;
            this.attempt = attempt;
        }

        @Override
        public Optional<Long> contentLength() {
            return delegate.contentLength();
        }

        @Override
        public void subscribe(Subscriber<? super ByteBuffer> subscriber) {
            if (attempt.startSending()) {
                delegate.subscribe(subscriber);
                return;
            }
            subscriber.onSubscribe(new Subscription() {
                @Override
                public void request(long n) {
                    // nothing will be sent
                }

                @Override
                public void cancel() {
                    // nothing to cancel
                }
            });
            subscriber.onError(new IOException("Polystore gave this request attempt up before it was sent "
                    + "(reported as not applied), so it is not sent now"));
        }
    }
}
