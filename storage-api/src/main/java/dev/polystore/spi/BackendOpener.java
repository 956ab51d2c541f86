package dev.polystore.spi;

/**
 * Opens further backends from the configuration a provider is being opened from: for backends
 * built over other backends, such as the {@code mirror} backend of {@code storage-mirror}, which
 * writes to two engines described by their own sections of the same configuration.
 *
 * <p>Handed to {@link StorageProvider#open(ProviderContext, BackendOpener)} by
 * {@link dev.polystore.StoreFactory}; valid only during that call. Thread-safe.
 */
@FunctionalInterface
public interface BackendOpener {

    /**
     * Opens a backend with the provider called {@code provider}, configured by the section
     * {@code [storage.<section>]} of the same configuration, with the same clock. The caller owns
     * the backend and must close it (also when its own open fails afterwards).
     *
     * @param provider a provider name on the class path, e.g. {@code sqlite}
     * @param section a section name of the configuration, e.g. {@code sqlite}, or another name when
     *        two backends of one provider are configured side by side
     * @throws dev.polystore.ConfigurationException if no such provider is found, a backend would
     *         open itself (a cycle), or the section's settings are bad (naming the key)
     */
    StorageBackend open(String provider, String section);
}
