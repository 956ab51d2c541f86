package dev.polystore.sqlite;

import dev.polystore.ConfigurationException;
import dev.polystore.spi.ConfigSection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * The settings of {@code [storage.sqlite]}, read and checked once when the backend opens. Every
 * key is documented in {@code docs/sqlite.md}.
 *
 * @param path the database file
 * @param synchronous the {@code PRAGMA synchronous} level of every connection
 * @param busyTimeout how long a connection waits for a lock held by another connection or
 *                    process before the operation fails as unavailable
 * @param readers how many reader connections (and reader threads) serve gets and queries
 * @param pageSize the page size of a new database file, in bytes
 * @param pageSizeSet whether {@code page_size} was configured (then an existing file must match)
 * @param cacheSizeKib the page cache of each connection, in KiB
 * @param groupCommitMaxOps most write operations committed together in one transaction
 * @param expiryPurgeInterval how often the writer deletes expired items; zero for never
 * @param readOnCaller whether a read runs on the calling thread when a reader connection is free
 */
record SqliteSettings(Path path, Synchronous synchronous, Duration busyTimeout, int readers, int pageSize,
                      boolean pageSizeSet, int cacheSizeKib, int groupCommitMaxOps, Duration expiryPurgeInterval,
                      boolean readOnCaller) {

    static final String PATH = "path";
    static final String SYNCHRONOUS = "synchronous";
    static final String BUSY_TIMEOUT_MS = "busy_timeout_ms";
    static final String READERS = "readers";
    static final String PAGE_SIZE = "page_size";
    static final String CACHE_SIZE_KIB = "cache_size_kib";
    static final String GROUP_COMMIT_MAX_OPS = "group_commit_max_ops";
    static final String EXPIRY_PURGE_INTERVAL_S = "expiry_purge_interval_s";
    static final String READ_ON_CALLER = "read_on_caller";

    static final String DEFAULT_PATH = ".blue/blue.db";
    static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(5);
    static final int DEFAULT_READERS = 4;
    static final int DEFAULT_PAGE_SIZE = 4096;
    static final int DEFAULT_CACHE_SIZE_KIB = 8192;
    static final int DEFAULT_GROUP_COMMIT_MAX_OPS = 1000;
    static final int DEFAULT_EXPIRY_PURGE_INTERVAL_S = 60;

    /** SQLite's {@code synchronous} levels, with the number {@code PRAGMA synchronous} reports. */
    enum Synchronous {
        OFF(0), NORMAL(1), FULL(2), EXTRA(3);

        final int level;

        Synchronous(int level) {
            this.level = level;
        }

        static String describe(long level) {
            for (Synchronous s : values()) {
                if (s.level == level) {
                    return s.name();
                }
            }
            return "unknown level " + level;
        }
    }

    /** Reads and checks every key of {@code config}; rejects keys it does not know. */
    static SqliteSettings from(ConfigSection config) {
        Path path = config.path(PATH, DEFAULT_PATH);
        if (path.toString().isBlank()) {
            throw new ConfigurationException(config.fullKey(PATH) + " is empty: expected the path of the database file");
        }
        if (path.toString().equals(":memory:") || path.toString().startsWith("file:")) {
            throw new ConfigurationException(config.fullKey(PATH) + " = \"" + path + "\": expected a file path; "
                    + "in-memory and URI databases cannot be shared by the writer and reader connections "
                    + "(use the memory backend for tests)");
        }
        Synchronous synchronous = Synchronous.valueOf(config.oneOf(SYNCHRONOUS, Synchronous.FULL.name(),
                Set.of("OFF", "NORMAL", "FULL", "EXTRA")).toUpperCase(Locale.ROOT));
        Duration busy = config.millis(BUSY_TIMEOUT_MS, DEFAULT_BUSY_TIMEOUT, Duration.ZERO, Duration.ofMinutes(10));
        int readers = config.intValue(READERS, DEFAULT_READERS, 1, 64);
        boolean pageSizeSet = config.string(PAGE_SIZE).isPresent();
        int pageSize = config.intValue(PAGE_SIZE, DEFAULT_PAGE_SIZE, 512, 65536);
        if (Integer.bitCount(pageSize) != 1) {
            throw new ConfigurationException(config.fullKey(PAGE_SIZE) + " = " + pageSize
                    + ": expected a power of two from 512 to 65536");
        }
        int cache = config.intValue(CACHE_SIZE_KIB, DEFAULT_CACHE_SIZE_KIB, 64, 4 * 1024 * 1024);
        int maxOps = config.intValue(GROUP_COMMIT_MAX_OPS, DEFAULT_GROUP_COMMIT_MAX_OPS, 1, 100_000);
        int purge = config.intValue(EXPIRY_PURGE_INTERVAL_S, DEFAULT_EXPIRY_PURGE_INTERVAL_S, 0, 86_400);
        boolean readOnCaller = config.booleanValue(READ_ON_CALLER, true);
        config.rejectUnknownKeys();
        return new SqliteSettings(path, synchronous, busy, readers, pageSize, pageSizeSet, cache, maxOps,
                Duration.ofSeconds(purge), readOnCaller);
    }
}
