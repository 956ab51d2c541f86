package dev.polystore.spi;

/**
 * A layer: wraps the backend a configuration opens, found with {@link java.util.ServiceLoader}
 * like a {@link StorageProvider} and chosen in the configuration. Encryption, metrics and
 * circuit breaking are layers; so is anything an application adds (auditing, quotas).
 *
 * <p>Register the class in {@code META-INF/services/dev.polystore.spi.StorageLayer} (and, for the
 * module path, {@code provides dev.polystore.spi.StorageLayer with …} in {@code module-info.java}).
 * Implementations need a public no-argument constructor, must be cheap to construct, and
 * thread-safe.
 *
 * <p><b>Order.</b> {@code [storage] layers = ["a", "b"]} lists layers outermost first: a call from
 * the application passes {@code a}, then {@code b}, then the backend. The factory opens the
 * backend, wraps it in {@code b}, and wraps that in {@code a}. Each layer reads its own section,
 * {@code [storage.<name>]}; a layer's name must differ from the backend's (and from any other
 * section the configuration uses), and a layer may be listed once.
 *
 * <p><b>Contract.</b> The backend a layer returns is held to the same contract as any backend:
 * the kit runs every contract family through it. Most layers extend
 * {@link ForwardingStorageBackend} and override what they change. A layer that cannot keep a
 * capability of the backend it wraps removes it from {@link StorageBackend#capabilities()} (an
 * encrypting layer removes native full-text search over ciphertext). The returned backend owns
 * {@code inner}: closing it closes {@code inner}.
 */
public interface StorageLayer {

    /**
     * The name users put in {@code storage.layers}: lower-case letters and digits, starting with a
     * letter. It is also the name of the layer's config section.
     */
    String name();

    /** The Maven coordinates {@code groupId:artifactId} that ship this layer, for messages. */
    default String artifact() {
        return getClass().getName();
    }

    /**
     * Wraps {@code inner}. Reads its settings from {@code context.config()} (the layer's section),
     * calls {@link ConfigSection#rejectUnknownKeys()} before acquiring resources and fails with
     * {@link dev.polystore.ConfigurationException} naming the key for bad settings. If this
     * method throws, the factory closes {@code inner}; the layer must not.
     *
     * @param inner the backend (or the next layer) this layer forwards to
     * @param context the layer's section and the configuration's clock
     * @return the wrapped backend, never null
     */
    StorageBackend wrap(StorageBackend inner, ProviderContext context);
}
