package dev.polystore.postgres;

import dev.polystore.ConfigurationException;
import dev.polystore.spi.ConfigSection;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The settings of {@code [storage.postgres]}, read and checked once when the backend opens.
 * Every key is documented in {@code docs/postgres.md}. The password is never part of
 * {@link #toString()}, {@link #describe()} or any message.
 *
 * @param url the JDBC URL as configured (or built from host, port and database)
 * @param database the database name, for messages and health (from the URL or the key)
 * @param user the user, or null for pgjdbc's default
 * @param password the password, or null (from {@code password} or the variable {@code password_env} names)
 * @param schema the schema holding Polystore's tables
 * @param tablePrefix prepended to every table name
 * @param createTables whether missing tables (and the schema's own tables) may be created
 * @param poolSize the most connections, and worker threads
 * @param poolMinIdle idle connections the pool keeps open
 * @param connectTimeout TCP connect and login timeout; also how long a call waits for a pooled connection
 * @param statementTimeout after how long a running statement is cancelled (client-side cancel request)
 * @param socketTimeout after how long without an answer a connection is given up (the hung-path bound)
 * @param synchronousCommit the {@code synchronous_commit} level the backend makes sure every connection has,
 *                          or {@code server} to take the server's as it is
 * @param sslMode pgjdbc's {@code sslmode}
 * @param sslRootCert a CA certificate file for {@code verify-ca}/{@code verify-full}, or null
 * @param prepareThreshold pgjdbc's {@code prepareThreshold}: 0 for poolers in transaction mode
 * @param expiryPurgeInterval how often expired items are deleted in the background; zero for never
 * @param closeTimeout how long close waits for in-flight operations
 * @param applicationName the {@code application_name} the server shows for these connections
 * @param runOnCaller whether an operation runs on the calling thread when a connection slot is free
 * @param batchCopy whether a batch chunk of new keys is written with {@code COPY} (else always one upsert statement)
 */
record PostgresSettings(String url, String database, String user, String password, String schema, String tablePrefix,
                        boolean createTables, int poolSize, int poolMinIdle, Duration connectTimeout,
                        Duration statementTimeout, Duration socketTimeout, String synchronousCommit, String sslMode,
                        String sslRootCert, int prepareThreshold, Duration expiryPurgeInterval, Duration closeTimeout,
                        String applicationName, boolean runOnCaller, boolean batchCopy) {

    static final String URL = "url";
    static final String HOST = "host";
    static final String PORT = "port";
    static final String DATABASE = "database";
    static final String USER = "user";
    static final String PASSWORD = "password";
    static final String PASSWORD_ENV = "password_env";
    static final String SCHEMA = "schema";
    static final String TABLE_PREFIX = "table_prefix";
    static final String CREATE_TABLES = "create_tables";
    static final String POOL_SIZE = "pool_size";
    static final String POOL_MIN_IDLE = "pool_min_idle";
    static final String CONNECT_TIMEOUT_MS = "connect_timeout_ms";
    static final String STATEMENT_TIMEOUT_MS = "statement_timeout_ms";
    static final String SOCKET_TIMEOUT_MS = "socket_timeout_ms";
    static final String SYNCHRONOUS_COMMIT = "synchronous_commit";
    static final String SSL_MODE = "ssl_mode";
    static final String SSL_ROOT_CERT = "ssl_root_cert";
    static final String PREPARE_THRESHOLD = "prepare_threshold";
    static final String EXPIRY_PURGE_INTERVAL_S = "expiry_purge_interval_s";
    static final String CLOSE_TIMEOUT_MS = "close_timeout_ms";
    static final String APPLICATION_NAME = "application_name";
    static final String RUN_ON_CALLER = "run_on_caller";
    static final String BATCH_COPY = "batch_copy";

    static final String DEFAULT_SCHEMA = "public";
    static final String DEFAULT_TABLE_PREFIX = "polystore_";
    static final int DEFAULT_POOL_SIZE = 10;
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(10);
    static final int DEFAULT_EXPIRY_PURGE_INTERVAL_S = 60;
    static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(10);

    /** {@code synchronous_commit} levels; {@code server} means "do not set, take the server's". */
    static final Set<String> SYNCHRONOUS_COMMIT_LEVELS = Set.of("on", "remote_apply", "remote_write", "local", "off", "server");
    static final Set<String> SSL_MODES = Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

    /** Lower-case identifiers only, so quoting never changes their meaning. */
    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    /**
     * Prefixes leave room for 48-character store names plus a 4-character index suffix within
     * PostgreSQL's 63-byte identifiers.
     */
    static final int MAX_PREFIX_LENGTH = 11;
    private static final Pattern PREFIX = Pattern.compile("([a-z][a-z0-9_]{0," + (MAX_PREFIX_LENGTH - 1) + "})?");
    private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9.\\-:\\[\\]]{1,255}");
    private static final Pattern DATABASE_NAME = Pattern.compile("[^/?#&=\\s]{1,63}");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    private static final Pattern URL_DATABASE = Pattern.compile("^jdbc:postgresql://[^/]*/([^?]+).*");

    /** Reads and checks every key of {@code config}; rejects keys it does not know. */
    static PostgresSettings from(ConfigSection c) {
        return from(c, System::getenv);
    }

    /** As {@link #from(ConfigSection)}, with environment variables from {@code env} (for tests). */
    static PostgresSettings from(ConfigSection c, Function<String, String> env) {
        Optional<String> url = c.string(URL).map(String::trim).filter(s -> !s.isEmpty());
        Optional<String> host = c.string(HOST).map(String::trim).filter(s -> !s.isEmpty());
        int port = c.intValue(PORT, 5432, 1, 65535);
        boolean portSet = c.values().containsKey(PORT);
        Optional<String> databaseKey = c.string(DATABASE).map(String::trim).filter(s -> !s.isEmpty());
        String jdbcUrl;
        String database;
        if (url.isPresent()) {
            if (host.isPresent() || portSet || databaseKey.isPresent()) {
                throw new ConfigurationException(c.fullKey(URL) + " and " + c.fullKey(HOST) + "/" + c.fullKey(PORT) + "/"
                        + c.fullKey(DATABASE) + " exclude each other: give either a JDBC URL or host, port and database");
            }
            jdbcUrl = url.get();
            var m = URL_DATABASE.matcher(jdbcUrl);
            if (!jdbcUrl.startsWith("jdbc:postgresql://") || !m.matches()) {
                throw new ConfigurationException(c.fullKey(URL) + " = \"" + maskUrl(jdbcUrl)
                        + "\": expected a pgjdbc URL with a database, e.g. jdbc:postgresql://db.example.com:5432/app");
            }
            if (jdbcUrl.toLowerCase(Locale.ROOT).contains("password=")) {
                throw new ConfigurationException(c.fullKey(URL) + " contains a password: set " + c.fullKey(PASSWORD)
                        + " or " + c.fullKey(PASSWORD_ENV) + " instead, so it is never printed with the URL");
            }
            database = m.group(1);
        } else {
            database = databaseKey.orElseThrow(() -> new ConfigurationException(c.fullKey(DATABASE) + " is not set: "
                    + "expected the database name (or set " + c.fullKey(URL) + " to a JDBC URL)"));
            if (!DATABASE_NAME.matcher(database).matches()) {
                throw new ConfigurationException(c.fullKey(DATABASE) + " = \"" + database
                        + "\": expected a database name of 1 to 63 characters without '/', '?', '#', '&', '=' or spaces");
            }
            String h = host.orElse("localhost");
            if (!HOST_NAME.matcher(h).matches()) {
                throw new ConfigurationException(c.fullKey(HOST) + " = \"" + h + "\": expected a host name or IP address");
            }
            jdbcUrl = "jdbc:postgresql://" + h + ":" + port + "/" + database;
        }
        String user = c.string(USER).map(String::trim).filter(s -> !s.isEmpty()).orElse(null);
        String password = c.string(PASSWORD).filter(s -> !s.isEmpty()).orElse(null);
        Optional<String> passwordEnv = c.string(PASSWORD_ENV).map(String::trim).filter(s -> !s.isEmpty());
        if (passwordEnv.isPresent()) {
            if (password != null) {
                throw new ConfigurationException(c.fullKey(PASSWORD) + " and " + c.fullKey(PASSWORD_ENV)
                        + " exclude each other: give the password or the name of the variable holding it");
            }
            String name = passwordEnv.get();
            if (!ENV_NAME.matcher(name).matches()) {
                throw new ConfigurationException(c.fullKey(PASSWORD_ENV) + " = \"" + name
                        + "\": expected the name of an environment variable, e.g. APP_DB_PASSWORD");
            }
            password = env.apply(name);
            if (password == null || password.isEmpty()) {
                throw new ConfigurationException(c.fullKey(PASSWORD_ENV) + " = \"" + name
                        + "\": that environment variable is not set or empty");
            }
        }
        String schema = c.string(SCHEMA, DEFAULT_SCHEMA).trim();
        if (!SCHEMA_NAME.matcher(schema).matches()) {
            throw new ConfigurationException(c.fullKey(SCHEMA) + " = \"" + schema
                    + "\": expected 1 to 63 lower-case letters, digits and '_', not starting with a digit");
        }
        String prefix = c.string(TABLE_PREFIX, DEFAULT_TABLE_PREFIX).trim();
        if (!PREFIX.matcher(prefix).matches()) {
            throw new ConfigurationException(c.fullKey(TABLE_PREFIX) + " = \"" + prefix + "\": expected at most "
                    + MAX_PREFIX_LENGTH + " lower-case letters, digits and '_', starting with a letter (or empty)");
        }
        boolean create = c.booleanValue(CREATE_TABLES, false);
        int poolSize = c.intValue(POOL_SIZE, DEFAULT_POOL_SIZE, 1, 1000);
        int minIdle = c.intValue(POOL_MIN_IDLE, poolSize, 0, 1000);
        if (minIdle > poolSize) {
            throw new ConfigurationException(c.fullKey(POOL_MIN_IDLE) + " = " + minIdle + ": expected at most "
                    + c.fullKey(POOL_SIZE) + " = " + poolSize);
        }
        Duration connect = c.millis(CONNECT_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT, Duration.ofMillis(250), Duration.ofMinutes(10));
        Duration statement = c.millis(STATEMENT_TIMEOUT_MS, DEFAULT_STATEMENT_TIMEOUT, Duration.ofMillis(100),
                Duration.ofHours(1));
        Duration socket = c.millis(SOCKET_TIMEOUT_MS, DEFAULT_SOCKET_TIMEOUT, Duration.ofSeconds(1), Duration.ofHours(2));
        if (socket.compareTo(statement) <= 0) {
            throw new ConfigurationException(c.fullKey(SOCKET_TIMEOUT_MS) + " = " + socket.toMillis()
                    + ": expected more than " + c.fullKey(STATEMENT_TIMEOUT_MS) + " = " + statement.toMillis()
                    + ", so that a slow statement is cancelled (and known not to have been applied) before the "
                    + "connection is given up");
        }
        String sync = c.oneOf(SYNCHRONOUS_COMMIT, "on", SYNCHRONOUS_COMMIT_LEVELS);
        String ssl = c.oneOf(SSL_MODE, "prefer", SSL_MODES);
        String rootCert = c.string(SSL_ROOT_CERT).map(String::trim).filter(s -> !s.isEmpty()).orElse(null);
        int prepare = c.intValue(PREPARE_THRESHOLD, 5, 0, 1_000_000);
        int purge = c.intValue(EXPIRY_PURGE_INTERVAL_S, DEFAULT_EXPIRY_PURGE_INTERVAL_S, 0, 86_400);
        Duration close = c.millis(CLOSE_TIMEOUT_MS, DEFAULT_CLOSE_TIMEOUT, Duration.ZERO, Duration.ofMinutes(10));
        String app = c.string(APPLICATION_NAME, "polystore").trim();
        if (app.length() > 63 || !app.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f)) {
            throw new ConfigurationException(c.fullKey(APPLICATION_NAME) + " = \"" + app
                    + "\": expected at most 63 printable ASCII characters");
        }
        boolean runOnCaller = c.booleanValue(RUN_ON_CALLER, true);
        boolean batchCopy = c.booleanValue(BATCH_COPY, true);
        c.rejectUnknownKeys();
        return new PostgresSettings(jdbcUrl, database, user, password, schema, prefix, create, poolSize, minIdle, connect,
                statement, socket, sync, ssl, rootCert, prepare, Duration.ofSeconds(purge), close, app, runOnCaller,
                batchCopy);
    }

    /** The pgjdbc connection properties (the password among them; never logged). */
    Map<String, String> driverProperties(boolean withSynchronousCommit) {
        java.util.LinkedHashMap<String, String> p = new java.util.LinkedHashMap<>();
        p.put("ApplicationName", applicationName);
        p.put("connectTimeout", String.valueOf(ceilSeconds(connectTimeout)));
        p.put("loginTimeout", String.valueOf(ceilSeconds(connectTimeout)));
        p.put("socketTimeout", String.valueOf(ceilSeconds(socketTimeout)));
        p.put("cancelSignalTimeout", String.valueOf(ceilSeconds(connectTimeout)));
        p.put("tcpKeepAlive", "true");
        p.put("sslmode", sslMode);
        if (sslRootCert != null) {
            p.put("sslrootcert", sslRootCert);
        }
        p.put("prepareThreshold", String.valueOf(prepareThreshold));
        // Per-row results of batches matter: never let the driver rewrite batches.
        p.put("reWriteBatchedInserts", "false");
        if (withSynchronousCommit) {
            p.put("options", "-c synchronous_commit=" + synchronousCommit);
        }
        return p;
    }

    static int ceilSeconds(Duration d) {
        return (int) Math.max(1, (d.toMillis() + 999) / 1000);
    }

    /** The URL for messages: any {@code user=}/{@code password=} parameter masked. */
    static String maskUrl(String url) {
        return url.replaceAll("(?i)(password|user)=[^&]*", "$1=***");
    }

    /** For messages and logs: never includes the password. */
    String describe() {
        return maskUrl(url) + (user == null ? "" : " as " + user) + ", schema " + schema
                + (tablePrefix.isEmpty() ? "" : ", table prefix " + tablePrefix);
    }

    @Override
    public String toString() {
        return "PostgresSettings[" + describe() + ", password " + (password == null ? "none" : "***")
                + ", create_tables=" + createTables + ", pool_size=" + poolSize + ", synchronous_commit=" + synchronousCommit
                + ", ssl_mode=" + sslMode + ", prepare_threshold=" + prepareThreshold + ", run_on_caller=" + runOnCaller
                + ", batch_copy=" + batchCopy + "]";
    }
}
