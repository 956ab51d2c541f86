package dev.polystore.dynamodb;

import dev.polystore.ConfigurationException;
import dev.polystore.spi.ConfigSection;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code [storage.dynamodb]} section, read and checked. Every key is documented in
 * {@code docs/dynamodb.md}; timeouts and retries are handed to the SDK, not re-implemented.
 *
 * @param tablePrefix prepended to each store name to form the DynamoDB table name
 * @param region the AWS region (also used for signing against DynamoDB Local)
 * @param endpoint an endpoint override (DynamoDB Local, LocalStack), or null for AWS
 * @param createTables whether missing tables are created (on-demand billing)
 * @param profile a named profile from the AWS config/credentials files, or null
 * @param localCredentials whether to sign with fixed dummy credentials (loopback endpoints only)
 * @param apiCallTimeout the whole-call timeout of single-item requests, all attempts included, or null for none
 * @param apiCallAttemptTimeout the per-attempt timeout of single-item requests, or null for none
 * @param bulkCallTimeout the whole-call timeout of query, batch, transaction and table requests, or null for none
 * @param bulkCallAttemptTimeout their per-attempt timeout, or null for none
 * @param closeGrace how long {@code close()} waits for calls in flight before failing them
 * @param maxAttempts the SDK retry strategy's maximum attempts (first try included), or 0 for its default
 * @param maxConcurrency the HTTP client's maximum open connections, or 0 for its default
 * @param connectionTimeout the HTTP client's connect timeout, or null for its default
 * @param tableWaitTimeout how long to wait for a created table to become active
 */
record DynamoDbSettings(String tablePrefix, String region, URI endpoint, boolean createTables, String profile,
                        boolean localCredentials, Duration apiCallTimeout, Duration apiCallAttemptTimeout,
                        Duration bulkCallTimeout, Duration bulkCallAttemptTimeout, Duration closeGrace,
                        int maxAttempts, int maxConcurrency, Duration connectionTimeout, Duration tableWaitTimeout) {

    static final String TABLE_PREFIX = "table_prefix";
    static final String REGION = "region";
    static final String ENDPOINT = "endpoint";
    static final String CREATE_TABLES = "create_tables";
    static final String PROFILE = "profile";
    static final String CREDENTIALS = "credentials";
    static final String API_CALL_TIMEOUT_MS = "api_call_timeout_ms";
    static final String API_CALL_ATTEMPT_TIMEOUT_MS = "api_call_attempt_timeout_ms";
    static final String BULK_CALL_TIMEOUT_MS = "bulk_call_timeout_ms";
    static final String BULK_CALL_ATTEMPT_TIMEOUT_MS = "bulk_call_attempt_timeout_ms";
    static final String CLOSE_GRACE_MS = "close_grace_ms";

    /**
     * Defaults that make a single-item call on a hung path fail within seconds (see
     * docs/dynamodb.md, Timeouts): an attempt normally takes milliseconds, so 2 s leaves a wide
     * margin and still lets the SDK retry on a fresh connection twice within the 5 s call.
     */
    static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(5);
    static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(2);
    /** Queries (1 MB pages), batches (16 MB batch gets) and transactions (4 MB) get more room. */
    static final Duration DEFAULT_BULK_CALL_TIMEOUT = Duration.ofSeconds(30);
    static final Duration DEFAULT_BULK_ATTEMPT_TIMEOUT = Duration.ofSeconds(10);
    /** Longer than a single-item call may take, so a clean shutdown lets them all answer. */
    static final Duration DEFAULT_CLOSE_GRACE = Duration.ofSeconds(10);
    static final String MAX_ATTEMPTS = "max_attempts";
    static final String MAX_CONCURRENCY = "max_concurrency";
    static final String CONNECTION_TIMEOUT_MS = "connection_timeout_ms";
    static final String TABLE_WAIT_TIMEOUT_MS = "table_wait_timeout_ms";

    /** DynamoDB table names: 3 to 255 of {@code [a-zA-Z0-9_.-]}; store names add at most 48. */
    private static final Pattern PREFIX = Pattern.compile("[a-zA-Z0-9_.\\-]{0,200}");
    private static final Pattern REGION_NAME = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");
    private static final long HOUR_MS = 3_600_000L;

    /** Reads the section; fails with {@link ConfigurationException} naming the key at fault. */
    static DynamoDbSettings from(ConfigSection c) {
        String prefix = c.string(TABLE_PREFIX, "");
        if (!PREFIX.matcher(prefix).matches()) {
            throw new ConfigurationException(c.fullKey(TABLE_PREFIX) + " = \"" + prefix + "\": expected at most 200 of "
                    + "the characters DynamoDB allows in table names: a-z, A-Z, 0-9, '_', '-', '.'");
        }
        String region = c.requireString(REGION, "an AWS region such as us-east-1 (any region works with DynamoDB Local)")
                .trim();
        if (!REGION_NAME.matcher(region).matches()) {
            throw new ConfigurationException(c.fullKey(REGION) + " = \"" + region
                    + "\": expected an AWS region name such as us-east-1");
        }
        URI endpoint = c.string(ENDPOINT).filter(s -> !s.isBlank()).map(s -> endpoint(c, s.trim())).orElse(null);
        boolean create = c.booleanValue(CREATE_TABLES, false);
        String profile = c.string(PROFILE).filter(s -> !s.isBlank()).map(String::trim).orElse(null);
        String credentials = c.oneOf(CREDENTIALS, "default", Set.of("default", "local"));
        boolean local = credentials.equals("local");
        if (local && (endpoint == null || !isLoopback(endpoint))) {
            throw new ConfigurationException(c.fullKey(CREDENTIALS) + " = \"local\" signs with fixed dummy credentials, "
                    + "which only DynamoDB Local accepts: it needs " + c.fullKey(ENDPOINT)
                    + " on a loopback address (127.0.0.1, ::1 or localhost), found "
                    + (endpoint == null ? "none" : "\"" + endpoint + "\""));
        }
        if (local && profile != null) {
            throw new ConfigurationException(c.fullKey(PROFILE) + " and " + c.fullKey(CREDENTIALS)
                    + " = \"local\" exclude each other: name a profile, or use local dummy credentials");
        }
        Duration callTimeout = timeout(c, API_CALL_TIMEOUT_MS, DEFAULT_CALL_TIMEOUT);
        Duration attemptTimeout = timeout(c, API_CALL_ATTEMPT_TIMEOUT_MS, DEFAULT_ATTEMPT_TIMEOUT);
        Duration bulkCallTimeout = timeout(c, BULK_CALL_TIMEOUT_MS, DEFAULT_BULK_CALL_TIMEOUT);
        Duration bulkAttemptTimeout = timeout(c, BULK_CALL_ATTEMPT_TIMEOUT_MS, DEFAULT_BULK_ATTEMPT_TIMEOUT);
        requireAtMost(c, API_CALL_ATTEMPT_TIMEOUT_MS, attemptTimeout, API_CALL_TIMEOUT_MS, callTimeout);
        requireAtMost(c, BULK_CALL_ATTEMPT_TIMEOUT_MS, bulkAttemptTimeout, BULK_CALL_TIMEOUT_MS, bulkCallTimeout);
        Duration closeGrace = Duration.ofMillis(c.longValue(CLOSE_GRACE_MS, DEFAULT_CLOSE_GRACE.toMillis(), 0,
                10 * 60_000L));
        int maxAttempts = c.intValue(MAX_ATTEMPTS, 0, 0, 100);
        int maxConcurrency = c.intValue(MAX_CONCURRENCY, 0, 0, 10_000);
        Duration connectTimeout = optionalMillis(c, CONNECTION_TIMEOUT_MS);
        Duration tableWait = c.millis(TABLE_WAIT_TIMEOUT_MS, Duration.ofMinutes(5), Duration.ofSeconds(1),
                Duration.ofHours(1));
        c.rejectUnknownKeys();
        return new DynamoDbSettings(prefix, region, endpoint, create, profile, local, callTimeout, attemptTimeout,
                bulkCallTimeout, bulkAttemptTimeout, closeGrace, maxAttempts, maxConcurrency, connectTimeout, tableWait);
    }

    /** A timeout in milliseconds: absent means {@code defaultValue}, {@code 0} means none (null). */
    private static Duration timeout(ConfigSection c, String key, Duration defaultValue) {
        long ms = c.longValue(key, defaultValue.toMillis(), 0, HOUR_MS);
        return ms == 0 ? null : Duration.ofMillis(ms);
    }

    /** An attempt timeout longer than its call timeout could never fire: refuse it, naming both keys. */
    private static void requireAtMost(ConfigSection c, String attemptKey, Duration attempt, String callKey,
                                      Duration call) {
        if (attempt != null && call != null && attempt.compareTo(call) > 0) {
            throw new ConfigurationException(c.fullKey(attemptKey) + " = " + attempt.toMillis() + " is longer than "
                    + c.fullKey(callKey) + " = " + call.toMillis() + ": expected an attempt timeout at most the call "
                    + "timeout (the call timeout covers every attempt)");
        }
    }

    /** {@code 0} or absent means "the SDK default". */
    private static Duration optionalMillis(ConfigSection c, String key) {
        long ms = c.longValue(key, 0, 0, HOUR_MS);
        return ms == 0 ? null : Duration.ofMillis(ms);
    }

    private static URI endpoint(ConfigSection c, String value) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new ConfigurationException(c.fullKey(ENDPOINT) + " = \"" + value
                    + "\": not a URI (" + e.getReason() + "); expected e.g. http://127.0.0.1:8000", e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new ConfigurationException(c.fullKey(ENDPOINT) + " = \"" + value
                    + "\": expected an http or https URL with a host, e.g. http://127.0.0.1:8000");
        }
        return uri;
    }

    /** Whether the endpoint's host is a loopback address, without looking any name up in DNS. */
    static boolean isLoopback(URI endpoint) {
        String host = endpoint.getHost();
        if (host == null) {
            return false;
        }
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (!literal.matches("[0-9.]+") && !literal.contains(":")) {
            return false; // a host name: not resolved here
        }
        try {
            return InetAddress.getByName(literal).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** The DynamoDB table holding store {@code store}. */
    String tableName(String store) {
        return tablePrefix + store;
    }

    Optional<URI> endpointOverride() {
        return Optional.ofNullable(endpoint);
    }

    /** For messages and logs: never includes credentials. */
    String describe() {
        return "region " + region + (endpoint == null ? "" : ", endpoint " + endpoint)
                + (profile == null ? "" : ", profile " + profile) + (localCredentials ? ", local dummy credentials" : "");
    }
}
