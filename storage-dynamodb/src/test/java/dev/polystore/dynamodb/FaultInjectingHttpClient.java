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
 *       as if the two had raced.</li>
 * </ul>
 * Counts every call per operation ({@code PutItem}, {@code UpdateItem}, ...).
 */
final class FaultInjectingHttpClient implements SdkAsyncHttpClient {
    enum Fault { NONE, THROTTLE, LOSE_RESPONSE, INTERLEAVE, REFUSE }

    /** Chooses the fault of each call; {@code call} counts calls of that operation from 1. */
    interface Plan {
        Fault fault(String operation, int call);
    }

    static final String THROTTLING_BODY =
            "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ThrottlingException\",\"message\":\"injected throttling\"}";

    private final SdkAsyncHttpClient delegate;
    private volatile Plan plan = (op, n) -> Fault.NONE;
    /** Runs after a lost response was applied and before the client hears of the loss. */
    private volatile Supplier<CompletableFuture<?>> afterLoss = () -> CompletableFuture.completedFuture(null);
    /** Runs before a call planned as {@link Fault#INTERLEAVE} is sent. */
    private volatile Supplier<CompletableFuture<?>> interleave = () -> CompletableFuture.completedFuture(null);
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Map<Fault, AtomicInteger> injected = new ConcurrentHashMap<>();

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

    void reset() {
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
        Fault fault = plan.fault(operation, call);
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
