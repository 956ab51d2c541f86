/**
 * The mirror backend, provider {@code mirror}: writes go to a primary backend and then, with the
 * primary's versions, to a secondary one; reads come from the primary. For moving an application
 * between engines without downtime (see {@code docs/migration.md}).
 */
module dev.polystore.mirror {
    requires transitive dev.polystore;
    requires org.slf4j;

    exports dev.polystore.mirror;

    provides dev.polystore.spi.StorageProvider with dev.polystore.mirror.MirrorStorageProvider;
}
