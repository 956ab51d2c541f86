package dev.polystore.dynamodb;

import java.io.IOException;
import java.net.ConnectException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.http.SdkHttpFullResponse;
import software.amazon.awssdk.http.async.AsyncExecuteRequest;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.async.SdkAsyncHttpResponseHandler;

/**
 * Wraps the real HTTP client and injects faults per DynamoDB operation, as a network would:
 * <ul>
 *   <li>{@link Fault#THROTTLE}: the request never reaches DynamoDB; the SDK sees a 400
 *       {@code ThrottlingException} (nothing applied);</li>
 *   <li>{@link Fault#LOSE_RESPONSE}: the request reaches DynamoDB and is applied, then the
 *       response is dropped and the SDK sees an {@link IOException} (it retries);</li>
 *   <li>{@link Fault#REFUSE}: the connection is refused, as by an endpoint that is down
 *       (nothing sent);</li>
 *   <li>{@link Fault#INTERLEAVE}: another client's request runs first, then this one is sent,
 *       as if the two had raced;</li>
 *   <li>{@link Fault#HEADERS_THEN_CUT}: the request reaches DynamoDB and is applied, its real
 *       response headers (a 2xx) reach the SDK, then the connection is reset before the body
 *       completes;</li>
 *   <li>{@link Fault#SERVER_ERROR}: the request reaches DynamoDB and is applied, and the SDK sees
 *       a 500 {@code InternalServerError} instead of the answer (it retries);</li>
 *   <li>{@link Fault#POOL_CLOSED} and {@link Fault#ACQUIRE_TIMEOUT}: the request never gets a
 *       connection (the HTTP client's pool is closed, or no connection became free in time), as
 *       the Netty client reports them: nothing is sent.</li>
 * </ul>
 *
 * <p>Faults are chosen by a {@link Plan} per operation and call, or {@linkplain #arm armed} on the
 * N-th HTTP call from now whatever its operation (every attempt of every call counts, retries
 * included) — the building block of a fault sweep: run a mix of operations once to count its
 * calls, then for every N arm N with each fault kind, run the mix again and check invariants.
 * Counts every call, per operation ({@code PutItem}, {@code UpdateItem}, ...) and in total.
 * Thread-safe.
 */
final class FaultInjectingHttpClient implements SdkAsyncHttpClient {
    enum Fault {
        NONE, THROTTLE, LOSE_RESPONSE, INTERLEAVE, REFUSE, HEADERS_THEN_CUT, SERVER_ERROR, POOL_CLOSED, ACQUIRE_TIMEOUT;

        /** Whether DynamoDB receives (and may apply) a request given this fault. */
        boolean reachesEngine() {
            return this == NONE || this == LOSE_RESPONSE || this == INTERLEAVE || this == HEADERS_THEN_CUT
                    || this == SERVER_ERROR;
        }
    }

    /** Chooses the fault of each call; {@code call} counts calls of that operation from 1. */
    interface Plan {
        Fault fault(String operation, int call);
    }

    static final String THROTTLING_BODY =
            "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ThrottlingException\",\"message\":\"injected throttling\"}";
    static final String SERVER_ERROR_BODY =
            "{\"__type\":\"com.amazonaws.dynamodb.v20120810#InternalServerError\",\"message\":\"injected server error\"}";

    private final SdkAsyncHttpClient delegate;
    private volatile Plan plan = (op, n) -> Fault.NONE;
    /** Runs after a lost response was applied and before the client hears of the loss. */
    private volatile Supplier<CompletableFuture<?>> afterLoss = () -> CompletableFuture.completedFuture(null);
    /** Runs before a call planned as {@link Fault#INTERLEAVE} is sent. */
    private volatile Supplier<CompletableFuture<?>> interleave = () -> CompletableFuture.completedFuture(null);
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Map<Fault, AtomicInteger> injected = new ConcurrentHashMap<>();
    private final AtomicInteger totalCalls = new AtomicInteger();
    /** The call number (of {@link #totalCalls}) that gets {@link #armedFault}; 0 when disarmed. */
    private volatile int armedCall;
    private volatile Fault armedFault = Fault.NONE;
    private volatile String armedOperation;

    FaultInjectingHttpClient(SdkAsyncHttpClient delegate) {
        this.delegate = delegate;
    }

    void plan(Plan newPlan) {
        this.plan = newPlan;
    }

    void afterLoss(Supplier<CompletableFuture<?>> action) {
        this.afterLoss = action;
    }

    void interleave(Supplier<CompletableFuture<?>> action) {
        this.interleave = action;
    }

    int calls(String operation) {
        return calls.getOrDefault(operation, new AtomicInteger()).get();
    }

    int injected(Fault fault) {
        return injected.getOrDefault(fault, new AtomicInteger()).get();
    }

    /**
     * Injects {@code fault} into the {@code nthCall}-th HTTP call from now (from 1, any operation,
     * retries count), once; the plan decides every other call. Resets the total call counter.
     */
    void arm(int nthCall, Fault fault) {
        if (nthCall < 1) {
            throw new IllegalArgumentException("nthCall must be at least 1");
        }
        armedOperation = null;
        armedFault = fault;
        totalCalls.set(0);
        armedCall = nthCall;
    }

    /** Stops an armed fault that has not fired yet. */
    void disarm() {
        armedCall = 0;
        armedFault = Fault.NONE;
    }

    /** Faults injected since the last {@link #reset}, of every kind. */
    int injectedTotal() {
        return injected.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** HTTP calls since the last {@link #arm} or {@link #reset} (every attempt counts). */
    int calls() {
        return totalCalls.get();
    }

    /** The operation the armed fault hit, or null if it has not fired. */
    String armedOperation() {
        return armedOperation;
    }

    void reset() {
        disarm();
        armedOperation = null;
        totalCalls.set(0);
        plan = (op, n) -> Fault.NONE;
        afterLoss = () -> CompletableFuture.completedFuture(null);
        interleave = () -> CompletableFuture.completedFuture(null);
        calls.clear();
        injected.clear();
    }

    @Override
    public CompletableFuture<Void> execute(AsyncExecuteRequest request) {
        String target = request.request().firstMatchingHeader("X-Amz-Target").orElse("unknown.unknown");
        String operation = target.substring(target.indexOf('.') + 1);
        int call = calls.computeIfAbsent(operation, k -> new AtomicInteger()).incrementAndGet();
        int total = totalCalls.incrementAndGet();
        Fault fault;
        if (armedCall != 0 && total == armedCall) {
            fault = armedFault;
            armedOperation = operation;
            armedCall = 0;
        } else {
            fault = plan.fault(operation, call);
        }
        if (fault != Fault.NONE) {
            injected.computeIfAbsent(fault, k -> new AtomicInteger()).incrementAndGet();
        }
        switch (fault) {
            case THROTTLE:
                return throttle(request.responseHandler(), operation + "-" + call);
            case LOSE_RESPONSE:
                return loseResponse(request);
            case REFUSE:
                ConnectException refused = new ConnectException("injected fault: connection refused (endpoint down)");
                request.responseHandler().onError(refused);
                return CompletableFuture.failedFuture(refused);
            case INTERLEAVE:
                return interleave.get().handle((v, e) -> e).thenCompose(e -> delegate.execute(request));
            case HEADERS_THEN_CUT:
                return headersThenCut(request);
            case SERVER_ERROR:
                return serverErrorAfterApply(request, operation + "-" + call);
            case POOL_CLOSED:
                return neverSent(request, new IllegalStateException("injected fault: channel pool is closed"));
            case ACQUIRE_TIMEOUT:
                return neverSent(request, new Throwable("injected fault: Acquire operation took longer than the "
                        + "configured maximum time", new java.util.concurrent.TimeoutException("acquire")));
            default:
                return delegate.execute(request);
        }
    }

    private static CompletableFuture<Void> throttle(SdkAsyncHttpResponseHandler handler, String id) {
        byte[] body = THROTTLING_BODY.getBytes(StandardCharsets.UTF_8);
        handler.onHeaders(SdkHttpFullResponse.builder()
                .statusCode(400)
                .putHeader("Content-Type", "application/x-amz-json-1.0")
                .putHeader("Content-Length", String.valueOf(body.length))
                .putHeader("x-amzn-RequestId", "injected-" + id)
                .build());
        handler.onStream(AsyncRequestBody.fromBytes(body));
        return CompletableFuture.completedFuture(null);
    }

    /** Fails as the HTTP client does when no connection could be had: the body is never read, nothing is sent. */
    private static CompletableFuture<Void> neverSent(AsyncExecuteRequest request, Throwable error) {
        request.responseHandler().onError(error);
        return CompletableFuture.failedFuture(error);
    }

    /**
     * Sends the request for real and hands the SDK the real response headers (a 2xx) at once;
     * reads and drops the real body, then gives the SDK a body that fails with a reset connection.
     */
    private CompletableFuture<Void> headersThenCut(AsyncExecuteRequest request) {
        SdkAsyncHttpResponseHandler real = request.responseHandler();
        CompletableFuture<Void> result = new CompletableFuture<>();
        AsyncExecuteRequest.Builder forwarded = forward(request, new SdkAsyncHttpResponseHandler() {
            @Override
            public void onHeaders(software.amazon.awssdk.http.SdkHttpResponse headers) {
                real.onHeaders(headers);
            }

            @Override
            public void onStream(Publisher<ByteBuffer> stream) {
                stream.subscribe(new Drain());
            }

            @Override
            public void onError(Throwable error) {
                real.onError(error);
                result.completeExceptionally(error);
            }
        });
        delegate.execute(forwarded.build())
                .thenCompose(v -> afterLoss.get())
                .whenComplete((v, e) -> {
                    IOException cut = new IOException("injected fault: connection reset while reading the response body");
                    if (e != null) {
                        cut.addSuppressed(e);
                    }
                    real.onStream(subscriber -> {
                        subscriber.onSubscribe(new Subscription() {
                            @Override
                            public void request(long n) {
                            }

                            @Override
                            public void cancel() {
                            }
                        });
                        subscriber.onError(cut);
                    });
                    real.onError(cut);
                    result.completeExceptionally(cut);
                });
        return result;
    }

    /** Sends the request for real (it is applied), drops the answer and answers 500 instead. */
    private CompletableFuture<Void> serverErrorAfterApply(AsyncExecuteRequest request, String id) {
        SdkAsyncHttpResponseHandler real = request.responseHandler();
        CompletableFuture<Void> result = new CompletableFuture<>();
        AsyncExecuteRequest.Builder forwarded = forward(request, new SdkAsyncHttpResponseHandler() {
            @Override
            public void onHeaders(software.amazon.awssdk.http.SdkHttpResponse headers) {
                // dropped
            }

            @Override
            public void onStream(Publisher<ByteBuffer> stream) {
                stream.subscribe(new Drain());
            }

            @Override
            public void onError(Throwable error) {
                real.onError(error);
                result.completeExceptionally(error);
            }
        });
        delegate.execute(forwarded.build()).thenCompose(v -> afterLoss.get()).whenComplete((v, e) -> {
            byte[] body = SERVER_ERROR_BODY.getBytes(StandardCharsets.UTF_8);
            real.onHeaders(SdkHttpFullResponse.builder()
                    .statusCode(500)
                    .putHeader("Content-Type", "application/x-amz-json-1.0")
                    .putHeader("Content-Length", String.valueOf(body.length))
                    .putHeader("x-amzn-RequestId", "injected-" + id)
                    .build());
            real.onStream(AsyncRequestBody.fromBytes(body));
            result.complete(null);
        });
        return result;
    }

    private static AsyncExecuteRequest.Builder forward(AsyncExecuteRequest request, SdkAsyncHttpResponseHandler handler) {
        AsyncExecuteRequest.Builder forwarded = AsyncExecuteRequest.builder()
                .request(request.request())
                .requestContentPublisher(request.requestContentPublisher())
                .fullDuplex(request.fullDuplex())
                .httpExecutionAttributes(request.httpExecutionAttributes())
                .responseHandler(handler);
        request.metricCollector().ifPresent(forwarded::metricCollector);
        return forwarded;
    }

    /** Sends the request for real, reads and drops the response, then reports a reset connection. */
    private CompletableFuture<Void> loseResponse(AsyncExecuteRequest request) {
        SdkAsyncHttpResponseHandler real = request.responseHandler();
        CompletableFuture<Void> result = new CompletableFuture<>();
        AsyncExecuteRequest.Builder forwarded = AsyncExecuteRequest.builder()
                .request(request.request())
                .requestContentPublisher(request.requestContentPublisher())
                .fullDuplex(request.fullDuplex())
                .httpExecutionAttributes(request.httpExecutionAttributes())
                .responseHandler(new SdkAsyncHttpResponseHandler() {
                    @Override
                    public void onHeaders(software.amazon.awssdk.http.SdkHttpResponse headers) {
                        // dropped
                    }

                    @Override
                    public void onStream(Publisher<ByteBuffer> stream) {
                        stream.subscribe(new Drain());
                    }

                    @Override
                    public void onError(Throwable error) {
                        real.onError(error);
                        result.completeExceptionally(error);
                    }
                });
        request.metricCollector().ifPresent(forwarded::metricCollector);
        delegate.execute(forwarded.build())
                .thenCompose(v -> afterLoss.get())
                .whenComplete((v, e) -> {
                    IOException lost = new IOException("injected fault: connection reset after the request was sent");
                    if (e != null) {
                        lost.addSuppressed(e);
                    }
                    real.onError(lost);
                    result.completeExceptionally(lost);
                });
        return result;
    }

    @Override
    public String clientName() {
        return "FaultInjecting(" + delegate.clientName() + ")";
    }

    @Override
    public void close() {
        delegate.close();
    }

    /** Reads a response body to the end and discards it, so the connection is released. */
    private static final class Drain implements Subscriber<ByteBuffer> {
        @Override
        public void onSubscribe(Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(ByteBuffer b) {
            // discarded
        }

        @Override
        public void onError(Throwable t) {
            // the delegate's future reports it
        }

        @Override
        public void onComplete() {
            // the delegate's future completes
        }
    }
}
