/**
 * The DynamoDB backend, provider {@code dynamodb}, on the AWS SDK for Java v2 async client with the
 * Netty HTTP client; nothing in it is API (use {@code dev.polystore}). The SDK's jars are automatic
 * modules named by their manifests.
 */
module dev.polystore.dynamodb {
    requires dev.polystore;
    requires org.slf4j;
    requires org.reactivestreams;
    requires io.netty.common;
    requires io.netty.transport;
    requires software.amazon.awssdk.auth;
    requires software.amazon.awssdk.awscore;
    requires software.amazon.awssdk.core;
    requires software.amazon.awssdk.http;
    requires software.amazon.awssdk.http.nio.netty;
    requires software.amazon.awssdk.metrics;
    requires software.amazon.awssdk.regions;
    requires software.amazon.awssdk.retries.api;
    requires software.amazon.awssdk.services.dynamodb;
    requires software.amazon.awssdk.utils;

    provides dev.polystore.spi.StorageProvider with dev.polystore.dynamodb.DynamoDbStorageProvider;
}
