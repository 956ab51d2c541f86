package dev.polystore.postgres;

import dev.polystore.ConditionFailedException;
import dev.polystore.Direction;
import dev.polystore.KeyRange;
import dev.polystore.spi.IndexAccelerator;
import dev.polystore.spi.SortKeys;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * SQL of the native secondary-index entries ({@link IndexAccelerator}) on PostgreSQL: one entry
 * table per item table, {@code <item table>_ix (epk, esk, item_pk, item_sk, expires_at,
 * PRIMARY KEY (epk, esk))}, keys as {@code bytea} (byte order, like the items), rows naming the
 * item instead of copying it, written on the connection of the item's transaction before its
 * {@code COMMIT}. A unique entry is claimed with {@code INSERT … ON CONFLICT DO UPDATE … WHERE}
 * the row names the same item or has expired: under READ COMMITTED the conflicting row is locked
 * and the condition evaluated on its latest version, so of concurrent claimers exactly one
 * writes it. A query joins the entry rows to the item rows through both primary keys. Table
 * {@code <prefix>_index_places} holds each entry table's random id.
 */
final class PostgresIndexes {
    private PostgresIndexes() {
    }

    static String entryTable(Sql sql, String store) {
        return Sql.quote(sql.schema) + "." + Sql.quote(sql.tableName(store) + "_ix");
    }

    static String placesTable(Sql sql) {
        return Sql.quote(sql.schema) + "." + Sql.quote(sql.prefix + "_index_places");
    }

    /** Creates the entry table of {@code store} if need be (the item table exists). @return the id of its place */
    static String prepare(Connection c, Sql sql, String store, boolean createTables, String describe)
            throws SQLException {
        if (!createTables && (!exists(c, entryTable(sql, store)) || !exists(c, placesTable(sql)))) {
            throw new dev.polystore.ConfigurationException("PostgreSQL table " + entryTable(sql, store) + " (the index "
                    + "entries of store '" + store + "') or " + placesTable(sql) + " does not exist (" + describe
                    + "): set storage.postgres.create_tables = true to let Polystore create them, or create them as "
                    + "docs/postgres.md (Secondary indexes) shows");
        }
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + placesTable(sql)
                    + " (table_name text PRIMARY KEY, place text NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS " + entryTable(sql, store) + " (epk bytea NOT NULL, esk bytea NOT NULL, "
                    + "item_pk bytea NOT NULL, item_sk bytea NOT NULL, expires_at bigint, PRIMARY KEY (epk, esk))");
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + placesTable(sql)
                + " (table_name, place) VALUES (?, ?) ON CONFLICT (table_name) DO NOTHING")) {
            ps.setString(1, store);
            ps.setString(2, "postgres-" + UUID.randomUUID());
            ps.executeUpdate();
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT place FROM " + placesTable(sql) + " WHERE table_name = ?")) {
            ps.setString(1, store);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("no place recorded for the index entries of store '" + store + "'");
                }
                return rs.getString(1);
            }
        }
    }

    private static boolean exists(Connection c, String qualified) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, qualified);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /**
     * Applies entry writes in the open transaction of {@code c}, after its {@code operations}
     * item operations, in entry-key order (a delete before a put of the same key); a unique put
     * whose key a live entry of another item
     * holds fails with {@link ConditionFailedException} at index {@code operations + j} (the
     * caller rolls back).
     */
    static void apply(Connection c, Sql sql, int operations, List<IndexAccelerator.EntryWrite> entries, long now)
            throws SQLException {
        // In key order (a stable sort: a delete stays before a put of the same key), so that
        // concurrent transactions lock entry rows in one order and never deadlock on them.
        List<Integer> order = new ArrayList<>();
        for (int j = 0; j < entries.size(); j++) {
            order.add(j);
        }
        order.sort((a, b) -> {
            IndexAccelerator.EntryWrite x = entries.get(a);
            IndexAccelerator.EntryWrite y = entries.get(b);
            int t = x.table().compareTo(y.table());
            if (t != 0) {
                return t;
            }
            int pk = SortKeys.compare(x.entry().pk(), y.entry().pk());
            return pk != 0 ? pk : SortKeys.compare(x.entry().sk(), y.entry().sk());
        });
        for (int j : order) {
            IndexAccelerator.EntryWrite w = entries.get(j);
            if (w instanceof IndexAccelerator.EntryWrite.Delete d) {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + entryTable(sql, d.table())
                        + " WHERE epk = ? AND esk = ? AND item_pk = ? AND item_sk = ?")) {
                    ps.setBytes(1, SortKeys.utf8(d.entry().pk()));
                    ps.setBytes(2, SortKeys.utf8(d.entry().sk()));
                    ps.setBytes(3, SortKeys.utf8(d.item().pk()));
                    ps.setBytes(4, SortKeys.utf8(d.item().sk()));
                    ps.executeUpdate();
                }
                continue;
            }
            IndexAccelerator.EntryWrite.Put p = (IndexAccelerator.EntryWrite.Put) w;
            String t = entryTable(sql, p.table());
            String upsert = "INSERT INTO " + t + " AS o (epk, esk, item_pk, item_sk, expires_at) VALUES (?, ?, ?, ?, ?) "
                    + "ON CONFLICT (epk, esk) DO UPDATE SET item_pk = excluded.item_pk, item_sk = excluded.item_sk, "
                    + "expires_at = excluded.expires_at"
                    + (p.unique() ? " WHERE (o.item_pk = excluded.item_pk AND o.item_sk = excluded.item_sk) "
                    + "OR (o.expires_at IS NOT NULL AND o.expires_at <= ?)" : "");
            try (PreparedStatement ps = c.prepareStatement(upsert)) {
                ps.setBytes(1, SortKeys.utf8(p.entry().pk()));
                ps.setBytes(2, SortKeys.utf8(p.entry().sk()));
                ps.setBytes(3, SortKeys.utf8(p.item().pk()));
                ps.setBytes(4, SortKeys.utf8(p.item().sk()));
                if (p.expiresAt() == null) {
                    ps.setNull(5, Types.BIGINT);
                } else {
                    ps.setLong(5, p.expiresAt().getEpochSecond());
                }
                if (p.unique()) {
                    ps.setLong(6, now);
                }
                if (ps.executeUpdate() == 0) {
                    throw new ConditionFailedException("unique index entry " + p.entry() + " in store '" + p.table()
                            + "' is held by another item (transaction operation " + (operations + j) + ")", p.item(),
                            operations + j, null);
                }
            }
        }
    }

    /** A query of one entry partition joined to the items, and its parameters. */
    record Select(String sql, List<Object> parameters) {
    }

    /** Columns: esk, item pk, item sk, version, expires_at, payload; at most {@code limit + 1} rows. */
    static Select query(Sql sql, String store, byte[] epk, KeyRange range, Direction direction, byte[] exclusiveStart,
                        long now, int limit) {
        StringBuilder q = new StringBuilder("SELECT e.esk, t.pk, t.sk, t.version, t.expires_at, t.payload FROM ")
                .append(entryTable(sql, store)).append(" e JOIN ").append(sql.itemTable(store))
                .append(" t ON t.pk = e.item_pk AND t.sk = e.item_sk WHERE e.epk = ?");
        List<Object> params = new ArrayList<>();
        params.add(epk);
        if (range instanceof KeyRange.Prefix p) {
            byte[] from = SortKeys.utf8(p.prefix());
            byte[] upper = SortKeys.prefixUpperBound(from);
            q.append(" AND e.esk >= ?");
            params.add(from);
            if (upper != null) {
                q.append(" AND e.esk < ?");
                params.add(upper);
            }
        } else if (range instanceof KeyRange.Between b) {
            q.append(" AND e.esk >= ? AND e.esk <= ?");
            params.add(SortKeys.utf8(b.from()));
            params.add(SortKeys.utf8(b.to()));
        } else if (range instanceof KeyRange.AtLeast a) {
            q.append(" AND e.esk >= ?");
            params.add(SortKeys.utf8(a.from()));
        } else if (range instanceof KeyRange.AtMost a) {
            q.append(" AND e.esk <= ?");
            params.add(SortKeys.utf8(a.to()));
        } else if (!(range instanceof KeyRange.All)) {
            throw new IllegalArgumentException("unknown key range " + range);
        }
        boolean ascending = direction == Direction.ASCENDING;
        if (exclusiveStart != null) {
            q.append(ascending ? " AND e.esk > ?" : " AND e.esk < ?");
            params.add(exclusiveStart);
        }
        q.append(" AND (e.expires_at IS NULL OR e.expires_at > ?) AND (t.expires_at IS NULL OR t.expires_at > ?)");
        params.add(now);
        params.add(now);
        q.append(ascending ? " ORDER BY e.esk ASC" : " ORDER BY e.esk DESC").append(" LIMIT ?");
        params.add((long) limit + 1);
        return new Select(q.toString(), params);
    }
}
