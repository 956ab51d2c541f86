/** The embedded SQLite backend, provider {@code sqlite}; nothing in it is API (use {@code dev.polystore}). */
module dev.polystore.sqlite {
    requires dev.polystore;
    requires java.sql;
    requires org.xerial.sqlitejdbc;
    requires org.slf4j;

    provides dev.polystore.spi.StorageProvider with dev.polystore.sqlite.SqliteStorageProvider;
}
