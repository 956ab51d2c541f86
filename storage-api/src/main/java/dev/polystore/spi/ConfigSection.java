package dev.polystore.spi;

import dev.polystore.ConfigurationException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One backend's configuration section, e.g. everything under {@code [storage.sqlite]}, with
 * file values already overridden by environment variables and system properties.
 *
 * <p>Typed getters name the full key ({@code storage.sqlite.busy_timeout_ms}), the value and
 * what was expected when a value does not fit. After reading its keys a provider calls
 * {@link #rejectUnknownKeys()} so that a typo fails at open instead of being ignored.
 */
public final class ConfigSection {
    private final String prefix;
    private final Map<String, String> values;
    private final Set<String> read = ConcurrentHashMap.newKeySet();

    /**
     * @param prefix the section's full name, e.g. {@code storage.sqlite}
     * @param values keys within the section (e.g. {@code path}) to their values as text
     */
    public ConfigSection(String prefix, Map<String, String> values) {
        this.prefix = prefix;
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** The section's full name, e.g. {@code storage.sqlite}. */
    public String prefix() {
        return prefix;
    }

    /** The full key name for {@code key}, for messages. */
    public String fullKey(String key) {
        return prefix + "." + key;
    }

    /** Every key present in the section, with its value as text. */
    public Map<String, String> values() {
        return values;
    }

    public Optional<String> string(String key) {
        read.add(key);
        String v = values.get(key);
        return v == null ? Optional.empty() : Optional.of(v);
    }

    public String string(String key, String defaultValue) {
        return string(key).orElse(defaultValue);
    }

    public String requireString(String key, String whatItIs) {
        return string(key).filter(v -> !v.isBlank()).orElseThrow(() -> new ConfigurationException(
                fullKey(key) + " is not set: expected " + whatItIs));
    }

    public long longValue(String key, long defaultValue, long min, long max) {
        Optional<String> v = string(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        long parsed;
        try {
            parsed = Long.parseLong(v.get().trim());
        } catch (NumberFormatException e) {
            throw new ConfigurationException(fullKey(key) + " = \"" + v.get() + "\": expected a whole number from "
                    + min + " to " + max);
        }
        if (parsed < min || parsed > max) {
            throw new ConfigurationException(fullKey(key) + " = " + parsed + ": expected a whole number from "
                    + min + " to " + max);
        }
        return parsed;
    }

    public int intValue(String key, int defaultValue, int min, int max) {
        return (int) longValue(key, defaultValue, min, max);
    }

    public boolean booleanValue(String key, boolean defaultValue) {
        Optional<String> v = string(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        return switch (v.get().trim().toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new ConfigurationException(fullKey(key) + " = \"" + v.get()
                    + "\": expected true or false");
        };
    }

    /** A duration given in milliseconds under {@code key}. */
    public Duration millis(String key, Duration defaultValue, Duration min, Duration max) {
        return Duration.ofMillis(longValue(key, defaultValue.toMillis(), min.toMillis(), max.toMillis()));
    }

    /** One of {@code allowed} (compared ignoring case), returned as listed in {@code allowed}. */
    public String oneOf(String key, String defaultValue, Set<String> allowed) {
        Optional<String> v = string(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        for (String a : allowed) {
            if (a.equalsIgnoreCase(v.get().trim())) {
                return a;
            }
        }
        throw new ConfigurationException(fullKey(key) + " = \"" + v.get() + "\": expected one of "
                + new TreeSet<>(allowed));
    }

    public Path path(String key, String defaultValue) {
        String v = string(key, defaultValue);
        try {
            return Path.of(v);
        } catch (java.nio.file.InvalidPathException e) {
            throw new ConfigurationException(fullKey(key) + " = \"" + v + "\": not a valid path: " + e.getReason());
        }
    }

    /**
     * Fails with {@link ConfigurationException} if the section holds a key no getter has read,
     * listing the keys that were read (the ones this backend knows).
     */
    public void rejectUnknownKeys() {
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(read);
        if (!unknown.isEmpty()) {
            throw new ConfigurationException("unknown key" + (unknown.size() > 1 ? "s " : " ")
                    + unknown.stream().map(this::fullKey).toList() + "; keys known in [" + prefix + "]: "
                    + new TreeSet<>(read) + " (see docs/configuration.md)");
        }
    }
}
