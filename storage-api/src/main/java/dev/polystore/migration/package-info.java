/**
 * Moving whole stores between engines: {@link dev.polystore.migration.Migration} lists stores,
 * reads them in independent resumable segments and imports items exactly as read (same version,
 * same expiry). The {@code polystore} command ({@code storage-cli}) is built on it; so can be
 * export, verification and re-encryption jobs in application code. Never on a request path.
 */
package dev.polystore.migration;
