package dev.polystore;

/**
 * Bad or missing configuration, reported when a {@link Storage} is opened. The message names
 * the key (as written in the config file, e.g. {@code storage.sqlite.busy_timeout_ms}),
 * the value found and what was expected.
 */
public class ConfigurationException extends StoreException {
    private static final long serialVersionUID = 1L;

    public ConfigurationException(String message) {
        super(message);
    }

    public ConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}
