package dev.polystore;

import dev.polystore.internal.Cursors;
import dev.polystore.internal.DefaultStorage;
import dev.polystore.internal.ProviderRegistry;
import dev.polystore.spi.ConfigSection;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageProvider;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Opens a {@link Storage} on the backend a configuration names. Backends are found with
 * {@link java.util.ServiceLoader}: put {@code storage-sqlite}, {@code storage-dynamodb} or any
 * other provider's jar on the class path.
 *
 * <pre>{@code
 * try (Storage storage = StoreFactory.fromConfig(Path.of("polystore.toml"))) {
 *     Store<User> users = storage.store("users", User.class);
 *     users.put(Item.of("user#42", "profile", new User("Ada"))).join();
 * }
 * }</pre>
 *
 * <p>Opening may block (files, network checks). Every failure is a
 * {@link ConfigurationException} naming the key at fault, or the backend's
 * {@link StoreException} if the engine cannot be reached.
 */
public final class StoreFactory {
    private StoreFactory() {
    }

    /**
     * Opens the storage a TOML file describes, with environment variables and system
     * properties overriding its values (see {@link StorageConfig#withOverrides}).
     */
    public static Storage fromConfig(Path file) {
        return open(StorageConfig.fromToml(file).withOverrides(System.getenv(), System.getProperties()));
    }

    /**
     * Opens the storage described by environment variables and system properties alone
     * ({@code STORAGE_BACKEND}, {@code STORAGE_SQLITE_PATH}, {@code storage.backend}, …). With
     * nothing set, that is embedded SQLite at its default path.
     */
    public static Storage fromEnv() {
        return open(StorageConfig.builder().build().withOverrides(System.getenv(), System.getProperties()));
    }

    /** Opens the storage {@code config} describes, as it is (no overrides applied). */
    public static Storage open(StorageConfig config) {
        return open(config, UnaryOperator.identity());
    }

    /**
     * Opens the storage {@code config} describes, with the backend wrapped by {@code wrap} before
     * the API layer is put over it: for tests that inject faults between the API and a backend
     * found by name, and for decorating a backend in code (usually a
     * {@link dev.polystore.spi.ForwardingStorageBackend}). The wrapper is closed with the storage.
     *
     * @param wrap returns the backend the API layer uses; given the backend the provider opened
     */
    public static Storage open(StorageConfig config, UnaryOperator<StorageBackend> wrap) {
        Objects.requireNonNull(wrap, "wrap");
        for (String key : config.values().keySet()) {
            if (!key.contains(".") && !StorageConfig.TOP_LEVEL_KEYS.contains(key)) {
                throw new ConfigurationException("unknown key storage." + key + " in " + config.origin()
                        + "; [storage] holds only " + StorageConfig.TOP_LEVEL_KEYS
                        + " and one section per backend (see docs/configuration.md)");
            }
        }
        // Checked before the backend opens, so a bad secret leaves nothing to release.
        Cursors cursors = Cursors.fromConfig(config.values().get(StorageConfig.CURSOR_SECRET));
        String name = config.backend();
        StorageProvider provider = ProviderRegistry.discover().require(name);
        ConfigSection section = new ConfigSection("storage." + name, config.section(name));
        StorageBackend backend = provider.open(new ProviderContext(section, config.clock()));
        if (backend == null) {
            throw new ConfigurationException("provider '" + name + "' (" + provider.getClass().getName()
                    + ") returned no backend");
        }
        StorageBackend wrapped;
        try {
            wrapped = Objects.requireNonNull(wrap.apply(backend), "the wrapper returned no backend");
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
        return new DefaultStorage(name, wrapped, config.clock(), cursors);
    }

    /**
     * Opens a {@link Storage} over a backend built in code rather than found by name: a test
     * double, or a backend wrapped by hand in a {@link dev.polystore.spi.ForwardingStorageBackend}
     * to inject faults. The storage reports {@code backend.name()} as its backend, decides expiry
     * in the API layer by {@code clock} (pass the clock the backend was opened with) and closes
     * the backend when it is closed. Its cursors are sealed under the built-in default cursor
     * secret (see {@code docs/cursors.md}). For backend authors and tests; applications use the other
     * {@code open} methods.
     *
     * @throws NullPointerException if an argument or the backend's capabilities are null
     */
    public static Storage open(StorageBackend backend, Clock clock) {
        Objects.requireNonNull(backend, "backend");
        return new DefaultStorage(Objects.requireNonNull(backend.name(), "backend.name()"), backend,
                Objects.requireNonNull(clock, "clock"));
    }

    /** The names of the providers found on the class path, for diagnostics. */
    public static java.util.Set<String> availableBackends() {
        return ProviderRegistry.discover().names();
    }

}
