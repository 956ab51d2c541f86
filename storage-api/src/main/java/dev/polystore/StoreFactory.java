package dev.polystore;

import dev.polystore.internal.Cursors;
import dev.polystore.internal.DefaultStorage;
import dev.polystore.internal.LayerRegistry;
import dev.polystore.internal.ProviderRegistry;
import dev.polystore.spi.ConfigSection;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageBackend;
import dev.polystore.spi.StorageLayer;
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
                        + " and one section per backend or layer (see docs/configuration.md)");
            }
        }
        // Checked before the backend opens, so a bad secret leaves nothing to release.
        Cursors cursors = Cursors.fromConfig(config.values().get(StorageConfig.CURSOR_SECRET));
        String name = config.backend();
        java.util.List<String> layerNames = config.layers();
        ProviderRegistry registry = ProviderRegistry.discover();
        // Layers are resolved before the backend opens, so a missing or misnamed layer leaves
        // nothing to release.
        java.util.List<StorageLayer> layers = resolveLayers(config, layerNames, name);
        StorageBackend backend = openBackend(registry, config, name, name, new java.util.ArrayList<>());
        backend = applyLayers(config, layers, backend);
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

    /**
     * Opens the backend of {@code section} with provider {@code name}, handing it an opener for
     * backends built over others (e.g. a mirror); {@code opening} lists the sections being opened,
     * so that a section reached again is refused as a cycle.
     */
    private static StorageBackend openBackend(ProviderRegistry registry, StorageConfig config, String name,
                                              String sectionName, java.util.List<String> opening) {
        if (opening.contains(sectionName)) {
            throw new ConfigurationException("[storage." + sectionName + "] is opened again while opening "
                    + opening + ": a backend cannot be built over itself");
        }
        StorageProvider provider = registry.require(name);
        ConfigSection section = new ConfigSection("storage." + sectionName, config.section(sectionName));
        java.util.List<String> path = new java.util.ArrayList<>(opening);
        path.add(sectionName);
        dev.polystore.spi.BackendOpener others = (otherProvider, otherSection) -> openBackend(registry, config,
                Objects.requireNonNull(otherProvider, "provider"), Objects.requireNonNull(otherSection, "section"),
                path);
        StorageBackend backend = provider.open(new ProviderContext(section, config.clock()), others);
        if (backend == null) {
            throw new ConfigurationException("provider '" + name + "' (" + provider.getClass().getName()
                    + ") returned no backend");
        }
        return backend;
    }

    private static java.util.List<StorageLayer> resolveLayers(StorageConfig config, java.util.List<String> names,
                                                             String backendName) {
        if (names.isEmpty()) {
            return java.util.List.of();
        }
        LayerRegistry registry = LayerRegistry.discover();
        java.util.List<StorageLayer> layers = new java.util.ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String layerName : names) {
            if (!seen.add(layerName)) {
                throw new ConfigurationException("storage.layers in " + config.origin() + " lists \"" + layerName
                        + "\" twice; a layer is put over the backend once");
            }
            if (layerName.equals(backendName)) {
                throw new ConfigurationException("storage.layers in " + config.origin() + " lists \"" + layerName
                        + "\", which is also storage.backend: a layer and the backend would share the section [storage."
                        + layerName + "]");
            }
            layers.add(registry.require(layerName));
        }
        return layers;
    }

    /** Wraps {@code backend} in the layers, innermost (the last listed) first; closes it if a layer fails. */
    private static StorageBackend applyLayers(StorageConfig config, java.util.List<StorageLayer> layers,
                                              StorageBackend backend) {
        StorageBackend current = backend;
        for (int i = layers.size() - 1; i >= 0; i--) {
            StorageLayer layer = layers.get(i);
            ConfigSection section = new ConfigSection("storage." + layer.name(), config.section(layer.name()));
            StorageBackend next;
            try {
                next = layer.wrap(current, new ProviderContext(section, config.clock()));
            } catch (RuntimeException | Error e) {
                try {
                    current.close();
                } catch (RuntimeException closing) {
                    e.addSuppressed(closing);
                }
                throw e;
            }
            if (next == null) {
                current.close();
                throw new ConfigurationException("layer '" + layer.name() + "' (" + layer.getClass().getName()
                        + ") returned no backend");
            }
            current = next;
        }
        return current;
    }

    /** The names of the layers found on the class path, for diagnostics. */
    public static java.util.Set<String> availableLayers() {
        return LayerRegistry.discover().names();
    }

    /** The names of the providers found on the class path, for diagnostics. */
    public static java.util.Set<String> availableBackends() {
        return ProviderRegistry.discover().names();
    }

}
