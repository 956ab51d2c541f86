/**
 * The PostgreSQL backend (provider {@code postgres}): pgjdbc over a HikariCP pool, one table
 * per store with keys as {@code bytea}, every conditional write one statement, transactions
 * with key locks taken in key order. Users never touch these classes: they name the backend in
 * their configuration. See {@code docs/postgres.md}.
 */
package dev.polystore.postgres;
