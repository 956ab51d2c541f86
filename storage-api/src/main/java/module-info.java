/**
 * Polystore's API ({@code dev.polystore} and the domain packages), the SPI for backend authors
 * ({@code dev.polystore.spi}), configuration and discovery. {@code dev.polystore.internal} is not
 * exported: what a backend needs lives in the SPI.
 *
 * <p>Backends are found with {@link java.util.ServiceLoader}: on the module path a backend module
 * declares {@code provides dev.polystore.spi.StorageProvider with ...}; on the class path its
 * {@code META-INF/services} entry does the same. Values are JSON through Jackson: a module whose
 * records or classes are stored with the default codec opens their package to
 * {@code com.fasterxml.jackson.databind} (or exports it).
 */
module dev.polystore {
    requires transitive com.fasterxml.jackson.databind; // JacksonCodec.of(ObjectMapper, Class)
    requires com.fasterxml.jackson.datatype.jdk8;
    requires com.fasterxml.jackson.datatype.jsr310;
    requires com.fasterxml.jackson.dataformat.toml;
    requires org.slf4j;

    exports dev.polystore;
    exports dev.polystore.spi;
    exports dev.polystore.dialogue;
    exports dev.polystore.document;
    exports dev.polystore.migration;
    exports dev.polystore.lease;
    exports dev.polystore.event;

    // The domain stores' items are JSON records: Jackson reads and writes them reflectively.
    opens dev.polystore.dialogue to com.fasterxml.jackson.databind;
    opens dev.polystore.document to com.fasterxml.jackson.databind;
    opens dev.polystore.internal.domain to com.fasterxml.jackson.databind;
    opens dev.polystore.internal.coordination to com.fasterxml.jackson.databind;

    uses dev.polystore.spi.StorageProvider;
    uses dev.polystore.spi.StorageLayer;
}
