package dev.polystore.redis;

import java.util.Locale;

/**
 * What a Redis server's persistence settings ({@code appendonly}, {@code appendfsync}) mean for
 * a write Redis has acknowledged, weakest first. docs/redis.md#durability says the same in full.
 */
enum Durability {
    /**
     * The settings could not be read ({@code CONFIG GET} refused, as on some managed services):
     * nothing can be promised.
     */
    UNKNOWN("unknown", "the persistence settings could not be read (CONFIG GET refused): acknowledged writes may "
            + "be lost on a crash; check appendonly/appendfsync with your provider"),
    /** {@code appendonly no}: only snapshots (if any); a crash loses every write since the last one. */
    NONE("none", "appendonly is off: a crash or restart of redis-server loses every acknowledged write since the "
            + "last RDB snapshot (all of them without snapshots)"),
    /**
     * {@code appendfsync no}: the AOF is written but fsync is left to the OS; an OS crash or power
     * loss loses what the kernel had not flushed (typically up to 30 s).
     */
    NO_FSYNC("no-fsync", "appendfsync is no: writes reach the AOF but are never fsynced by Redis; an OS crash or power "
            + "loss loses what the kernel had not flushed (often up to 30 s)"),
    /**
     * {@code appendfsync everysec}: fsync once a second in the background; a crash of the machine
     * loses up to about 2 s, a crash of the process normally nothing (but up to 2 s while fsync is slow).
     */
    EVERYSEC("everysec", "appendfsync is everysec: an OS crash or power loss can lose up to about 2 s of acknowledged "
            + "writes; a redis-server crash normally loses none, but up to 2 s while a slow disk delays the AOF write"),
    /** {@code appendfsync always}: every write is fsynced before Redis answers. */
    ALWAYS("always", "appendfsync is always: every acknowledged write was fsynced to the AOF");

    private final String label;
    private final String meaning;

    Durability(String label, String meaning) {
        this.label = label;
        this.meaning = meaning;
    }

    /** The short name shown in health details. */
    String label() {
        return label;
    }

    /** What the setting means for acknowledged writes, for logs and health. */
    String meaning() {
        return meaning;
    }

    /** Whether an acknowledged write may be lost when redis-server or its machine crashes. */
    boolean mayLoseAcknowledgedWrites() {
        return this != ALWAYS;
    }

    /** From {@code CONFIG GET appendonly} and {@code CONFIG GET appendfsync}. */
    static Durability of(String appendonly, String appendfsync) {
        if (appendonly == null) {
            return UNKNOWN;
        }
        if (!appendonly.trim().equalsIgnoreCase("yes")) {
            return NONE;
        }
        if (appendfsync == null) {
            return UNKNOWN;
        }
        return switch (appendfsync.trim().toLowerCase(Locale.ROOT)) {
            case "always" -> ALWAYS;
            case "everysec" -> EVERYSEC;
            case "no" -> NO_FSYNC;
            default -> UNKNOWN;
        };
    }

    /** The {@code min_durability} setting: {@code none}, {@code everysec} or {@code always}. */
    static Durability parse(String minimum) {
        return switch (minimum) {
            case "always" -> ALWAYS;
            case "everysec" -> EVERYSEC;
            default -> UNKNOWN;
        };
    }

    /** Whether this is at least {@code minimum} ({@link #UNKNOWN} as a minimum accepts everything). */
    boolean atLeast(Durability minimum) {
        return minimum == UNKNOWN || (this != UNKNOWN && compareTo(minimum) >= 0);
    }
}
