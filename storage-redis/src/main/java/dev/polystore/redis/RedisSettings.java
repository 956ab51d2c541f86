package dev.polystore.redis;

import dev.polystore.ConfigurationException;
import dev.polystore.spi.ConfigSection;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code [storage.redis]} section, checked. Every key is documented in docs/redis.md and
 * docs/configuration.md. {@link #toString()} and {@link #describe()} never contain the
 * password (nor the user name's password or the Sentinel password).
 *
 * @param mode how the servers are reached
 * @param nodes for {@link Mode#STANDALONE} one node, for {@link Mode#CLUSTER} the seed nodes, for
 *              {@link Mode#SENTINEL} the Sentinels
 * @param sentinelMaster the master name the Sentinels know (Sentinel mode only)
 * @param username the ACL user, or null for the default user
 * @param password the password, or null
 * @param sentinelPassword the Sentinels' own password, or null
 * @param database the logical database (standalone and Sentinel; always 0 in Cluster mode)
 * @param keyPrefix prepended to every key this backend writes
 * @param connectTimeout how long opening a TCP (and TLS) connection may take
 * @param commandTimeout how long one command may take before it fails, from the call
 * @param closeTimeout how long {@code close()} waits for calls in flight before cancelling them
 * @param replayWindow how long a write's outcome record is kept, so a write Lettuce sends again
 *                     after a reconnect returns its first outcome instead of applying twice
 * @param expiryGrace how long after an item's own expiry Redis itself deletes it (a backstop
 *                    against clock skew; expiry is decided by the backend's clock before then)
 * @param tls whether connections use TLS
 * @param tlsVerify how a TLS server's certificate is checked
 * @param tlsCaFile PEM file of trusted certificates, or null for the JDK's trust store
 * @param minDurability the weakest persistence setting accepted at open
 */
record RedisSettings(Mode mode, List<Node> nodes, String sentinelMaster, String username, String password,
                     String sentinelPassword, int database, String keyPrefix, Duration connectTimeout,
                     Duration commandTimeout, Duration closeTimeout, Duration replayWindow, Duration expiryGrace,
                     boolean tls, TlsVerify tlsVerify, Path tlsCaFile, Durability minDurability) {

    static final String URI = "uri";
    static final String CLUSTER = "cluster";
    static final String USERNAME = "username";
    static final String PASSWORD = "password";
    static final String SENTINEL_PASSWORD = "sentinel_password";
    static final String DATABASE = "database";
    static final String KEY_PREFIX = "key_prefix";
    static final String CONNECT_TIMEOUT = "connect_timeout_ms";
    static final String COMMAND_TIMEOUT = "command_timeout_ms";
    static final String CLOSE_TIMEOUT = "close_timeout_ms";
    static final String REPLAY_WINDOW = "replay_window_ms";
    static final String EXPIRY_GRACE = "expiry_grace_s";
    static final String TLS = "tls";
    static final String TLS_VERIFY = "tls_verify";
    static final String TLS_CA_FILE = "tls_ca_file";
    static final String MIN_DURABILITY = "min_durability";

    static final String DEFAULT_PREFIX = "ps:";
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(5);
    static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(5);
    static final Duration MIN_REPLAY_WINDOW = Duration.ofSeconds(60);
    static final Duration DEFAULT_EXPIRY_GRACE = Duration.ofSeconds(300);
    static final int MAX_PREFIX_LENGTH = 128;

    /** How the servers are reached. */
    enum Mode {
        STANDALONE, SENTINEL, CLUSTER;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How a TLS server certificate is checked. */
    enum TlsVerify {
        /** The chain and the host name. */
        FULL,
        /** The chain only. */
        CA,
        /** Nothing (tests only). */
        NONE
    }

    /** A host and port. */
    record Node(String host, int port) {
        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    static RedisSettings from(ConfigSection c) {
        String uriText = c.requireString(URI, "a Redis URI, e.g. redis://127.0.0.1:6379 (rediss:// for TLS, "
                + "redis-sentinel://host:26379,host2:26379#mymaster for Sentinel, a comma-separated list of "
                + "redis://host:port seeds with cluster = true)").trim();
        boolean cluster = c.booleanValue(CLUSTER, false);
        String username = c.string(USERNAME).filter(s -> !s.isEmpty()).orElse(null);
        String password = c.string(PASSWORD).filter(s -> !s.isEmpty()).orElse(null);
        String sentinelPassword = c.string(SENTINEL_PASSWORD).filter(s -> !s.isEmpty()).orElse(null);
        if (username != null && password == null) {
            throw new ConfigurationException(c.fullKey(USERNAME) + " is set but " + c.fullKey(PASSWORD)
                    + " is not: an ACL user needs its password");
        }
        int database = c.intValue(DATABASE, 0, 0, 1_000_000);
        String prefix = c.string(KEY_PREFIX, DEFAULT_PREFIX);
        if (prefix.length() > MAX_PREFIX_LENGTH || prefix.indexOf('{') >= 0 || prefix.indexOf('}') >= 0) {
            throw new ConfigurationException(c.fullKey(KEY_PREFIX) + " = \"" + prefix + "\": expected at most "
                    + MAX_PREFIX_LENGTH + " characters without '{' or '}' (the braces mark each partition's hash tag)");
        }
        Duration connect = c.millis(CONNECT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, Duration.ofMillis(100), Duration.ofMinutes(10));
        Duration command = c.millis(COMMAND_TIMEOUT, DEFAULT_COMMAND_TIMEOUT, Duration.ofMillis(100), Duration.ofMinutes(10));
        Duration close = c.millis(CLOSE_TIMEOUT, DEFAULT_CLOSE_TIMEOUT, Duration.ZERO, Duration.ofMinutes(10));
        // A write may run again up to about 2 command timeouts after its first run (sent again after a
        // lost connection, and replayed by Lettuce after a reconnect); its record must outlive that.
        Duration floor = command.multipliedBy(3);
        Duration replay = c.millis(REPLAY_WINDOW, floor.compareTo(MIN_REPLAY_WINDOW) > 0 ? floor : MIN_REPLAY_WINDOW,
                floor, Duration.ofDays(1));
        Duration grace = Duration.ofSeconds(c.longValue(EXPIRY_GRACE, DEFAULT_EXPIRY_GRACE.getSeconds(), 1, 366L * 86400));
        String verifyText = c.oneOf(TLS_VERIFY, "full", Set.of("full", "ca", "none"));
        TlsVerify verify = TlsVerify.valueOf(verifyText.toUpperCase(Locale.ROOT));
        Path caFile = c.string(TLS_CA_FILE).filter(s -> !s.isBlank()).map(s -> c.path(TLS_CA_FILE, s)).orElse(null);
        if (caFile != null && !Files.isReadable(caFile)) {
            throw new ConfigurationException(c.fullKey(TLS_CA_FILE) + " = \"" + caFile
                    + "\": not a readable file (expected PEM certificates of the CAs to trust)");
        }
        Durability minDurability = Durability.parse(c.oneOf(MIN_DURABILITY, "none", Set.of("none", "everysec", "always")));

        Mode mode;
        List<Node> nodes = new ArrayList<>();
        String master = null;
        boolean schemeTls;
        String lower = uriText.toLowerCase(Locale.ROOT);
        if (lower.startsWith("redis-sentinel://") || lower.startsWith("rediss-sentinel://")) {
            if (cluster) {
                throw new ConfigurationException(c.fullKey(URI) + " is a Sentinel URI but " + c.fullKey(CLUSTER)
                        + " = true: expected either Sentinel or Cluster");
            }
            mode = Mode.SENTINEL;
            schemeTls = lower.startsWith("rediss");
            String rest = uriText.substring(uriText.indexOf("://") + 3);
            int hash = rest.indexOf('#');
            if (hash < 0 || hash == rest.length() - 1) {
                throw new ConfigurationException(c.fullKey(URI) + " = \"" + uriText
                        + "\": a Sentinel URI must name the master after '#', e.g. redis-sentinel://h1:26379,h2:26379#mymaster");
            }
            master = rest.substring(hash + 1);
            String hosts = rest.substring(0, hash);
            int slash = hosts.indexOf('/');
            if (slash >= 0) {
                rejectPath(c, uriText, hosts.substring(slash));
                hosts = hosts.substring(0, slash);
            }
            for (String h : hosts.split(",")) {
                nodes.add(hostPort(c, uriText, h.trim(), 26379));
            }
        } else {
            mode = cluster ? Mode.CLUSTER : Mode.STANDALONE;
            String[] parts = uriText.split(",");
            if (!cluster && parts.length > 1) {
                throw new ConfigurationException(c.fullKey(URI) + " = \"" + uriText + "\": several nodes need "
                        + c.fullKey(CLUSTER) + " = true (Redis Cluster) or a redis-sentinel:// URI (Sentinel)");
            }
            Boolean tlsSeen = null;
            for (String part : parts) {
                String p = part.trim();
                String pl = p.toLowerCase(Locale.ROOT);
                boolean partTls;
                if (pl.startsWith("rediss://")) {
                    partTls = true;
                } else if (pl.startsWith("redis://")) {
                    partTls = false;
                } else if (cluster && !p.contains("://")) {
                    partTls = tlsSeen != null && tlsSeen;
                    p = (partTls ? "rediss://" : "redis://") + p;
                } else {
                    throw new ConfigurationException(c.fullKey(URI) + " = \"" + uriText
                            + "\": expected redis://host:port, rediss://host:port (TLS), redis-sentinel://…#master "
                            + "or, with cluster = true, a comma-separated list of them");
                }
                if (tlsSeen != null && tlsSeen != partTls) {
                    throw new ConfigurationException(c.fullKey(URI) + " = \"" + uriText
                            + "\": mixes redis:// and rediss://; every node uses TLS or none does");
                }
                tlsSeen = partTls;
                URI u;
                try {
                    u = new URI(p);
                } catch (URISyntaxException e) {
                    throw new ConfigurationException(c.fullKey(URI) + " = \"" + uriText + "\": not a URI: " + e.getReason());
                }
                if (u.getRawUserInfo() != null) {
                    throw new ConfigurationException(c.fullKey(URI) + " contains credentials: put the password in "
                            + c.fullKey(PASSWORD) + " (and an ACL user in " + c.fullKey(USERNAME)
                            + ") so that it is never logged with the URI");
                }
                if (u.getRawQuery() != null || u.getRawFragment() != null) {
                    throw new ConfigurationException(c.fullKey(URI) + " = \"" + uriText
                            + "\": query parameters and fragments are not read; use the keys of [storage.redis]");
                }
                if (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/")) {
                    rejectPath(c, uriText, u.getRawPath());
                }
                if (u.getHost() == null) {
                    throw new ConfigurationException(c.fullKey(URI) + " = \"" + uriText + "\": no host in \"" + part.trim() + "\"");
                }
                nodes.add(new Node(stripBrackets(u.getHost()), u.getPort() < 0 ? 6379 : u.getPort()));
            }
            schemeTls = tlsSeen != null && tlsSeen;
        }
        boolean tls = c.booleanValue(TLS, schemeTls);
        if (c.string(TLS).isPresent() && tls != schemeTls) {
            throw new ConfigurationException(c.fullKey(TLS) + " = " + tls + " contradicts " + c.fullKey(URI)
                    + " (scheme " + (schemeTls ? "rediss" : "redis") + "): use rediss:// for TLS");
        }
        if (mode == Mode.CLUSTER && database != 0) {
            throw new ConfigurationException(c.fullKey(DATABASE) + " = " + database
                    + ": Redis Cluster has only database 0");
        }
        if (mode != Mode.SENTINEL && sentinelPassword != null) {
            throw new ConfigurationException(c.fullKey(SENTINEL_PASSWORD) + " is set but " + c.fullKey(URI)
                    + " is not a redis-sentinel:// URI");
        }
        if (!tls && (c.string(TLS_VERIFY).isPresent() || caFile != null)) {
            throw new ConfigurationException((caFile != null ? c.fullKey(TLS_CA_FILE) : c.fullKey(TLS_VERIFY))
                    + " is set but TLS is off: use a rediss:// URI");
        }
        return new RedisSettings(mode, List.copyOf(nodes), master, username, password, sentinelPassword, database,
                prefix, connect, command, close, replay, grace, tls, verify, caFile, minDurability);
    }

    private static void rejectPath(ConfigSection c, String uriText, String path) {
        throw new ConfigurationException(c.fullKey(URI) + " = \"" + uriText + "\": the path \"" + path
                + "\" is not read; choose the database with " + c.fullKey(DATABASE));
    }

    private static Node hostPort(ConfigSection c, String uriText, String text, int defaultPort) {
        try {
            URI u = new URI("redis://" + text);
            if (u.getHost() == null || u.getRawUserInfo() != null) {
                throw new URISyntaxException(text, "expected host[:port]");
            }
            return new Node(stripBrackets(u.getHost()), u.getPort() < 0 ? defaultPort : u.getPort());
        } catch (URISyntaxException e) {
            throw new ConfigurationException(c.fullKey(URI) + " = \"" + uriText + "\": \"" + text
                    + "\" is not host[:port] (credentials go in " + c.fullKey(PASSWORD) + " and "
                    + c.fullKey(SENTINEL_PASSWORD) + ")");
        }
    }

    private static String stripBrackets(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /** Whether the key space is partitioned across nodes, so transactions stay within one partition key. */
    boolean cluster() {
        return mode == Mode.CLUSTER;
    }

    /** Settings for logs and health: never a password. */
    String describe() {
        StringBuilder b = new StringBuilder();
        b.append(mode.label()).append(' ').append(nodes);
        if (sentinelMaster != null) {
            b.append(" master ").append(sentinelMaster);
        }
        if (mode != Mode.CLUSTER) {
            b.append(" db ").append(database);
        }
        b.append(tls ? " tls(" + tlsVerify.name().toLowerCase(Locale.ROOT) + ")" : " plaintext");
        b.append(" prefix \"").append(keyPrefix).append('"');
        if (username != null) {
            b.append(" user ").append(username);
        }
        b.append(password != null ? " password set" : " no password");
        return b.toString();
    }

    Optional<String> user() {
        return Optional.ofNullable(username);
    }

    @Override
    public String toString() {
        return "RedisSettings[" + describe() + ", command timeout " + commandTimeout.toMillis() + " ms]";
    }
}
