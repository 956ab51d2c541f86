package dev.polystore.dynamodb;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClientBuilder;

/**
 * Builds the SDK's async client from {@link DynamoDbSettings}: the Netty NIO HTTP client, the
 * configured credentials, connect timeout and retry attempts handed to the SDK (call
 * timeouts are set per request, see {@link Timeouts}), and the
 * {@link AttemptLog} interceptor the backend needs to tell ambiguous outcomes apart.
 */
final class ClientFactory {
    /** Access key used with {@code credentials = "local"}: DynamoDB Local accepts any of letters and digits only. */
    static final String LOCAL_ACCESS_KEY = "polystorelocal";

    /**
     * Hooks for tests (fault injection); production uses {@link #NONE}.
     *
     * @param interceptors added after the backend's own interceptor
     * @param http wraps the HTTP client the SDK sends through
     * @param retry adjusts the SDK retry strategy after the configured settings are applied
     */
    record Hooks(List<ExecutionInterceptor> interceptors, UnaryOperator<SdkAsyncHttpClient> http,
                 Consumer<RetryStrategy.Builder<?, ?>> retry) {
        static final Hooks NONE = new Hooks(List.of(), UnaryOperator.identity(), b -> { });
    }

    /**
     * The SDK client and what it runs on, which the backend closes after the SDK client. The
     * event loop group is the backend's own (daemon threads): the SDK's shared default group
     * waits out a two-second quiet period on every close.
     */
    record Clients(DynamoDbAsyncClient dynamo, SdkAsyncHttpClient http, EventLoopGroup eventLoop,
                   AwsCredentialsProvider credentials) {
    }

    private ClientFactory() {
    }

    /** The credentials the settings ask for. */
    static AwsCredentialsProvider credentials(DynamoDbSettings s) {
        if (s.localCredentials()) {
            return StaticCredentialsProvider.create(AwsBasicCredentials.create(LOCAL_ACCESS_KEY, LOCAL_ACCESS_KEY));
        }
        if (s.profile() != null) {
            return ProfileCredentialsProvider.builder().profileName(s.profile()).build();
        }
        return DefaultCredentialsProvider.builder().build();
    }

    static Clients build(DynamoDbSettings s, Hooks hooks) {
        EventLoopGroup eventLoop = new NioEventLoopGroup(0, new DefaultThreadFactory("polystore-dynamodb", true));
        NettyNioAsyncHttpClient.Builder httpBuilder = NettyNioAsyncHttpClient.builder()
                .eventLoopGroup(SdkEventLoopGroup.create(eventLoop));
        if (s.maxConcurrency() > 0) {
            httpBuilder.maxConcurrency(s.maxConcurrency());
        }
        if (s.connectionTimeout() != null) {
            httpBuilder.connectionTimeout(s.connectionTimeout());
        }
        AttemptLog.Registry attempts = new AttemptLog.Registry();
        SdkAsyncHttpClient http = new AttemptLog.HttpClient(hooks.http().apply(httpBuilder.build()), attempts);
        ClientOverrideConfiguration.Builder override = ClientOverrideConfiguration.builder()
                .addExecutionInterceptor(new AttemptLog.Interceptor(attempts));
        hooks.interceptors().forEach(override::addExecutionInterceptor);
        // No client-wide call timeouts: every request carries those of its class (Timeouts).
        // The SDK's default strategy for DynamoDB (backoff, throttling handling, circuit
        // breaker) with only the number of attempts changed when configured.
        override.retryStrategy(b -> {
            if (s.maxAttempts() > 0) {
                b.maxAttempts(s.maxAttempts());
            }
            hooks.retry().accept(b);
        });
        AwsCredentialsProvider credentials = credentials(s);
        DynamoDbAsyncClientBuilder builder = DynamoDbAsyncClient.builder()
                .region(Region.of(s.region()))
                .credentialsProvider(credentials)
                .httpClient(http)
                .overrideConfiguration(override.build());
        s.endpointOverride().ifPresent(builder::endpointOverride);
        return new Clients(builder.build(), http, eventLoop, credentials);
    }
}
