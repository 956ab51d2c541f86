package dev.polystore.spi;

/**
 * Entry point of a backend, found with {@link java.util.ServiceLoader}. Register the class in
 * {@code META-INF/services/dev.polystore.spi.StorageProvider} (and, for the module path,
 * {@code provides dev.polystore.spi.StorageProvider with …} in {@code module-info.java}).
 *
 * <p>Implementations need a public no-argument constructor, must be cheap to construct (the
 * factory instantiates every provider on the class path to list their names), and thread-safe.
 */
public interface StorageProvider {

    /**
     * The name users put in {@code storage.backend}: lower-case letters and digits, starting
     * with a letter. It is also the name of the provider's config section.
     */
    String name();

    /** The Maven coordinates {@code groupId:artifactId} that ship this provider, for messages. */
    default String artifact() {
        return getClass().getName();
    }

    /**
     * Opens a backend. Reads its settings from {@code context.config()}, calls
     * {@link ConfigSection#rejectUnknownKeys()} before acquiring resources, and fails with
     * {@link dev.polystore.ConfigurationException} naming the key for bad settings. May block
     * (opening files, checking connectivity).
     */
    StorageBackend open(ProviderContext context);

    /**
     * Opens a backend that may itself be built over other backends of the same configuration,
     * opened with {@code others} (see {@link BackendOpener}). {@link dev.polystore.StoreFactory}
     * calls this method; the default ignores {@code others} and calls {@link #open(ProviderContext)}.
     */
    default StorageBackend open(ProviderContext context, BackendOpener others) {
        return open(context);
    }
}
