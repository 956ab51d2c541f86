/**
 * The {@code dynamodb} backend: Amazon DynamoDB through the AWS SDK for Java v2 async client.
 *
 * <p>Users only name it in configuration ({@code backend = "dynamodb"}, keys under
 * {@code [storage.dynamodb]}); the one public type, {@link dev.polystore.dynamodb.DynamoDbStorageProvider},
 * is found by {@link java.util.ServiceLoader}. Table and item layout, configuration keys and
 * failure semantics are documented in {@code docs/dynamodb.md}.
 */
package dev.polystore.dynamodb;
