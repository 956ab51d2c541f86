/** The in-memory backend, provider {@code memory}: the kit's reference model and a fast engine for tests. */
module dev.polystore.memory {
    requires transitive dev.polystore;

    exports dev.polystore.memory;

    provides dev.polystore.spi.StorageProvider with dev.polystore.memory.MemoryStorageProvider;
}
