/**
 * The PostgreSQL backend, provider {@code postgres}, on pgjdbc (the automatic module
 * {@code org.postgresql.jdbc}) over a HikariCP pool; nothing in it is API (use {@code dev.polystore}).
 */
module dev.polystore.postgres {
    requires dev.polystore;
    requires java.sql;
    requires com.zaxxer.hikari;
    requires org.postgresql.jdbc;
    requires org.slf4j;

    provides dev.polystore.spi.StorageProvider with dev.polystore.postgres.PostgresStorageProvider;
}
