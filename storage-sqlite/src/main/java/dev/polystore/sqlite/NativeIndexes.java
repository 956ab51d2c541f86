package dev.polystore.sqlite;

import dev.polystore.ConditionFailedException;
import dev.polystore.Direction;
import dev.polystore.Key;
import dev.polystore.KeyRange;
import dev.polystore.spi.IndexAccelerator;
import dev.polystore.spi.SortKeys;
import dev.polystore.spi.TableNames;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * SQL of the native secondary-index entries ({@link IndexAccelerator}): one entry table per item
 * table, {@code store_<name>_ix}, whose primary key {@code (epk, esk)} is the SQL index queries
 * seek: {@code epk} the entry's partition key {@code ~ix/<index>/<key>}, {@code esk} its entry sort
 * key, and the row names the item ({@code item_pk, item_sk}) with the item's expiry. An entry row
 * holds no copy of the item: a query joins each entry to its item row through the item table's
 * primary key, in the same read. Entry rows are written by the writer connection inside the
 * request that writes the item, so in the same SQLite transaction.
 *
 * <p>Table {@value #PLACES} holds, per item table, the random id of its entry table (made when the
 * entry table is created), which the API records in the store's index catalog.
 */
final class NativeIndexes {
    static final String PLACES = "polystore_index_places";

    private NativeIndexes() {
    }

    static String entryTable(String table) {
        return "\"" + Sql.ITEM_TABLE_PREFIX + TableNames.require(table) + "_ix\"";
    }

    static String createPlaces() {
        return "CREATE TABLE IF NOT EXISTS " + PLACES + " (table_name TEXT PRIMARY KEY, place TEXT NOT NULL)";
    }

    /**
     * Small rows, read by primary key only: WITHOUT ROWID keeps them in the primary key's b-tree
     * alone (a rowid table would add a second b-tree for the key).
     */
    static String createEntryTable(String table) {
        return "CREATE TABLE IF NOT EXISTS " + entryTable(table) + " ("
                + "epk TEXT NOT NULL, "
                + "esk TEXT NOT NULL, "
                + "item_pk TEXT NOT NULL, "
                + "item_sk TEXT NOT NULL, "
                + "expires_at INTEGER, "
                + "PRIMARY KEY (epk, esk)) WITHOUT ROWID";
    }

    /** A partial index of the entries that expire, for the purge; entries without expiry cost nothing in it. */
    static String createExpiryIndex(String table) {
        return "CREATE INDEX IF NOT EXISTS \"" + Sql.ITEM_TABLE_PREFIX + TableNames.require(table) + "_ix_expiry\" ON "
                + entryTable(table) + " (expires_at) WHERE expires_at IS NOT NULL";
    }

    /** Deletes at most {@code ?2} entries expired at {@code ?1} (epoch seconds), through the expiry index. */
    static String purgeExpired(String table) {
        String e = entryTable(table);
        return "DELETE FROM " + e + " WHERE (epk, esk) IN (SELECT epk, esk FROM " + e
                + " WHERE expires_at <= ? LIMIT ?)";
    }

    /** Creates the entry table of {@code table} if need be. @return the id of its place */
    static String prepare(StatementCache cache, String table) throws SQLException {
        cache.execute(createPlaces());
        cache.execute(createEntryTable(table));
        cache.execute(createExpiryIndex(table));
        try (PreparedStatement ps = cache.connection().prepareStatement(
                "SELECT place FROM " + PLACES + " WHERE table_name = ?")) {
            ps.setString(1, TableNames.require(table));
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return rs.getString(1);
                }
            }
        }
        String place = "sqlite-" + UUID.randomUUID();
        try (PreparedStatement ps = cache.connection().prepareStatement(
                "INSERT INTO " + PLACES + " (table_name, place) VALUES (?, ?)")) {
            ps.setString(1, table);
            ps.setString(2, place);
            ps.executeUpdate();
        }
        return place;
    }

    private static String upsert(String table) {
        return "INSERT INTO " + entryTable(table) + " (epk, esk, item_pk, item_sk, expires_at) VALUES (?, ?, ?, ?, ?) "
                + "ON CONFLICT (epk, esk) DO UPDATE SET item_pk = excluded.item_pk, item_sk = excluded.item_sk, "
                + "expires_at = excluded.expires_at";
    }

    private static String delete(String table) {
        return "DELETE FROM " + entryTable(table) + " WHERE epk = ? AND esk = ? AND item_pk = ? AND item_sk = ?";
    }

    private static String holder(String table) {
        return "SELECT item_pk, item_sk, expires_at FROM " + entryTable(table) + " WHERE epk = ? AND esk = ?";
    }

    /**
     * Applies entry writes after the request's item operations ({@code operations} of them), in
     * its transaction: deletes, then puts; a unique put whose key a live entry of another item
     * holds fails with {@link ConditionFailedException} at index {@code operations + j} (the
     * request's savepoint then undoes the whole request).
     */
    static void apply(StatementCache cache, int operations, List<IndexAccelerator.EntryWrite> entries, Instant now)
            throws SQLException {
        for (IndexAccelerator.EntryWrite w : entries) {
            if (w instanceof IndexAccelerator.EntryWrite.Delete d) {
                PreparedStatement ps = cache.get(delete(d.table()));
                ps.setString(1, d.entry().pk());
                ps.setString(2, d.entry().sk());
                ps.setString(3, d.item().pk());
                ps.setString(4, d.item().sk());
                ps.executeUpdate();
            }
        }
        for (int j = 0; j < entries.size(); j++) {
            if (!(entries.get(j) instanceof IndexAccelerator.EntryWrite.Put p)) {
                continue;
            }
            if (p.unique()) {
                PreparedStatement h = cache.get(holder(p.table()));
                h.setString(1, p.entry().pk());
                h.setString(2, p.entry().sk());
                try (ResultSet rs = h.executeQuery()) {
                    if (rs.next()) {
                        Key held = new Key(rs.getString(1), rs.getString(2));
                        long expiresAt = rs.getLong(3);
                        boolean live = rs.wasNull() || now.getEpochSecond() < expiresAt;
                        if (live && !held.equals(p.item())) {
                            throw new ConditionFailedException("unique index entry " + p.entry() + " in store '"
                                    + p.table() + "' is held by another item (transaction operation "
                                    + (operations + j) + ")", p.item(), operations + j, null);
                        }
                    }
                }
            }
            PreparedStatement ps = cache.get(upsert(p.table()));
            ps.setString(1, p.entry().pk());
            ps.setString(2, p.entry().sk());
            ps.setString(3, p.item().pk());
            ps.setString(4, p.item().sk());
            if (p.expiresAt() == null) {
                ps.setNull(5, Types.INTEGER);
            } else {
                ps.setLong(5, p.expiresAt().getEpochSecond());
            }
            ps.executeUpdate();
        }
    }

    /** A query of one entry partition, joined to the items; its parameters in order. */
    record Select(String sql, List<Object> parameters) {
    }

    /**
     * Columns: entry sort key, item pk, item sk, version, expiry (or {@link Sql#NO_EXPIRY}),
     * payload; at most {@code limit + 1} rows (the last tells that more follow).
     */
    static Select query(String table, String epk, KeyRange range, Direction direction, String exclusiveStartSk,
                        long now, int limit) {
        String e = entryTable(table);
        String t = Sql.itemTable(table);
        StringBuilder sql = new StringBuilder("SELECT e.esk, t.pk, t.sk, t.version, IFNULL(t.expires_at, "
                + Sql.NO_EXPIRY + "), t.payload FROM " + e + " AS e JOIN " + t
                + " AS t ON t.pk = e.item_pk AND t.sk = e.item_sk WHERE e.epk = ?");
        List<Object> params = new ArrayList<>();
        params.add(epk);
        if (range instanceof KeyRange.Prefix p) {
            sql.append(" AND e.esk >= ?");
            params.add(p.prefix());
            String upper = SortKeys.prefixUpperBound(p.prefix());
            if (upper != null) {
                sql.append(" AND e.esk < ?");
                params.add(upper);
            }
        } else if (range instanceof KeyRange.Between b) {
            sql.append(" AND e.esk >= ? AND e.esk <= ?");
            params.add(b.from());
            params.add(b.to());
        } else if (range instanceof KeyRange.AtLeast a) {
            sql.append(" AND e.esk >= ?");
            params.add(a.from());
        } else if (range instanceof KeyRange.AtMost a) {
            sql.append(" AND e.esk <= ?");
            params.add(a.to());
        } else if (!(range instanceof KeyRange.All)) {
            throw new IllegalArgumentException("unknown key range " + range);
        }
        boolean ascending = direction == Direction.ASCENDING;
        if (exclusiveStartSk != null) {
            sql.append(ascending ? " AND e.esk > ?" : " AND e.esk < ?");
            params.add(exclusiveStartSk);
        }
        sql.append(" AND (e.expires_at IS NULL OR e.expires_at > ?) AND (t.expires_at IS NULL OR t.expires_at > ?)");
        params.add(now);
        params.add(now);
        sql.append(ascending ? " ORDER BY e.esk ASC" : " ORDER BY e.esk DESC").append(" LIMIT ?");
        params.add(limit + 1);
        return new Select(sql.toString(), params);
    }
}
