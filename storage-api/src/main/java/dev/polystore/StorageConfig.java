package dev.polystore;

import dev.polystore.internal.TomlConfigReader;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Immutable configuration: which backend to open and the settings of each backend's section.
 *
 * <p>Keys are named as in the config file without the leading {@code storage.}: {@code backend}
 * and {@code <section>.<key>}, e.g. {@code sqlite.path} for {@code [storage.sqlite] path}. The
 * same keys can be given as system properties ({@code storage.sqlite.path}) and environment
 * variables ({@code STORAGE_SQLITE_PATH}); see {@link #withOverrides(Map, Properties)} and
 * {@code docs/configuration.md} for every key.
 *
 * <pre>{@code
 * StorageConfig config = StorageConfig.builder()
 *         .backend("sqlite")
 *         .set("sqlite.path", "data/app.db")
 *         .build();
 * }</pre>
 */
public final class StorageConfig {
    /** The backend used when none is configured: embedded SQLite. */
    public static final String DEFAULT_BACKEND = "sqlite";

    /**
     * The key of the secret page cursors are sealed with ({@code [storage] cursor_secret},
     * {@code STORAGE_CURSOR_SECRET}, {@code -Dstorage.cursor_secret}): 32 to 1024 bytes of UTF-8,
     * the same on every instance and backend that should accept each other's cursors. Not set, a
     * built-in secret is used, which is public (see {@code docs/configuration.md}).
     */
    public static final String CURSOR_SECRET = "cursor_secret";

    /**
     * The key listing the layers put over the backend ({@code [storage] layers = ["a", "b"]},
     * {@code STORAGE_LAYERS=a,b}, {@code -Dstorage.layers=a,b}), outermost first: a call passes
     * {@code a}, then {@code b}, then the backend. Each layer reads its own section
     * {@code [storage.<name>]}. See {@link dev.polystore.spi.StorageLayer}.
     */
    public static final String LAYERS = "layers";

    /** The keys allowed directly under {@code [storage]}; every other key belongs to a section. */
    static final List<String> TOP_LEVEL_KEYS = List.of("backend", CURSOR_SECRET, LAYERS);

    private final Map<String, String> values;
    private final Clock clock;
    private final String origin;

    private StorageConfig(Map<String, String> values, Clock clock, String origin) {
        this.values = Map.copyOf(values);
        this.clock = clock;
        this.origin = origin;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads the {@code [storage]} table of a TOML file (other tables are ignored), without
     * applying environment or system-property overrides.
     *
     * @throws ConfigurationException if the file cannot be read, is not TOML, or its
     *                                {@code [storage]} table has values that are not strings,
     *                                numbers or booleans
     */
    public static StorageConfig fromToml(Path file) {
        Map<String, String> read = TomlConfigReader.read(file);
        return new StorageConfig(read, Clock.systemUTC(), file.toString());
    }

    /**
     * A copy with environment variables and system properties applied over this config.
     * Precedence, highest first: system properties ({@code storage.backend},
     * {@code storage.<section>.<key>}), environment variables ({@code STORAGE_BACKEND},
     * {@code STORAGE_<SECTION>_<KEY>}, where the section is the first word after
     * {@code STORAGE_} and the rest, lower-cased, is the key; {@code STORAGE_CURSOR_SECRET} is the
     * top-level {@value #CURSOR_SECRET}), then this config's values.
     */
    public StorageConfig withOverrides(Map<String, String> environment, Properties systemProperties) {
        Map<String, String> merged = new LinkedHashMap<>(values);
        for (Map.Entry<String, String> e : new TreeMap<>(environment).entrySet()) {
            String name = e.getKey();
            if (!name.startsWith("STORAGE_") || name.length() <= "STORAGE_".length()) {
                continue;
            }
            String rest = name.substring("STORAGE_".length()).toLowerCase(Locale.ROOT);
            if (TOP_LEVEL_KEYS.contains(rest)) {
                merged.put(rest, e.getValue());
            } else {
                int underscore = rest.indexOf('_');
                if (underscore > 0 && underscore < rest.length() - 1) {
                    merged.put(rest.substring(0, underscore) + "." + rest.substring(underscore + 1), e.getValue());
                }
            }
        }
        for (String name : new TreeMap<>(toMap(systemProperties)).keySet()) {
            if (name.startsWith("storage.") && name.length() > "storage.".length()) {
                merged.put(name.substring("storage.".length()), systemProperties.getProperty(name));
            }
        }
        return new StorageConfig(merged, clock, origin);
    }

    private static Map<String, String> toMap(Properties properties) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String name : properties.stringPropertyNames()) {
            map.put(name, properties.getProperty(name));
        }
        return map;
    }

    /** The backend's provider name; {@value #DEFAULT_BACKEND} if not configured. */
    public String backend() {
        String b = values.get("backend");
        return b == null || b.isBlank() ? DEFAULT_BACKEND : b.trim();
    }

    /**
     * The layers to put over the backend, outermost first ({@value #LAYERS}: a TOML array of
     * names, or the names separated by commas); empty if none is configured.
     *
     * @throws ConfigurationException if a name is empty
     */
    public List<String> layers() {
        String raw = values.get(LAYERS);
        if (raw == null || raw.isBlank()) {
            return List.of();
        }
        List<String> names = new java.util.ArrayList<>();
        for (String part : raw.split(",", -1)) {
            String name = part.trim();
            if (name.isEmpty()) {
                throw new ConfigurationException("storage.layers in " + origin + " has an empty name; "
                        + "list layer names, e.g. layers = [\"encryption\"] (see docs/configuration.md)");
            }
            names.add(name);
        }
        return List.copyOf(names);
    }

    /** Every key and value, keys as in the class description. */
    public Map<String, String> values() {
        return values;
    }

    /** The keys of one section (e.g. {@code sqlite}), without the section name. */
    public Map<String, String> section(String name) {
        Map<String, String> section = new LinkedHashMap<>();
        String prefix = name + ".";
        values.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                section.put(k.substring(prefix.length()), v);
            }
        });
        return section;
    }

    /** The clock that decides when items expire. */
    public Clock clock() {
        return clock;
    }

    /** Where the values came from (a file path, or "builder"), for messages. */
    public String origin() {
        return origin;
    }

    /** A copy using another clock, e.g. a fixed or adjustable one in tests of expiry. */
    public StorageConfig withClock(Clock newClock) {
        return new StorageConfig(values, Objects.requireNonNull(newClock, "clock"), origin);
    }

    /** A copy with one more value ({@code key} as in the class description). */
    public StorageConfig with(String key, String value) {
        Map<String, String> copy = new LinkedHashMap<>(values);
        copy.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return new StorageConfig(copy, clock, origin);
    }

    @Override
    public String toString() {
        // Values may hold credentials or profile names: list keys only.
        return "StorageConfig{backend=" + backend() + ", keys=" + new TreeMap<>(values).keySet() + ", from " + origin + "}";
    }

    /** Builds a {@link StorageConfig} in code. Not thread-safe. */
    public static final class Builder {
        private final Map<String, String> values = new LinkedHashMap<>();
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        public Builder backend(String name) {
            values.put("backend", Objects.requireNonNull(name, "name"));
            return this;
        }

        /** Sets the layers put over the backend, outermost first (see {@link StorageConfig#LAYERS}). */
        public Builder layers(String... names) {
            Objects.requireNonNull(names, "names");
            for (String name : names) {
                if (Objects.requireNonNull(name, "name").contains(",")) {
                    throw new IllegalArgumentException("a layer name cannot contain ',': " + name);
                }
            }
            values.put(LAYERS, String.join(",", names));
            return this;
        }

        /** Sets {@code key} (e.g. {@code sqlite.path}) to {@code value}. */
        public Builder set(String key, Object value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            values.put(key, String.valueOf(value));
            return this;
        }

        public Builder clock(Clock newClock) {
            this.clock = Objects.requireNonNull(newClock, "clock");
            return this;
        }

        public StorageConfig build() {
            return new StorageConfig(values, clock, "builder");
        }
    }
}
