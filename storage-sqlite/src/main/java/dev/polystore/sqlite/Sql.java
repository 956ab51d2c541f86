package dev.polystore.sqlite;

import dev.polystore.Direction;
import dev.polystore.KeyRange;
import dev.polystore.spi.SortKeys;
import dev.polystore.spi.TableNames;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every SQL statement the backend runs. The only identifier ever spliced into SQL is an item
 * table's name, built by {@link #itemTable} from a store name that is checked against
 * {@code [a-z][a-z0-9_]{0,47}} here again and then double-quoted; every value is a bound
 * parameter.
 *
 * <p>Keys are stored as TEXT in a UTF-8 database and compared with the BINARY collation, which
 * is {@code memcmp} of the UTF-8 bytes: exactly Polystore's sort-key order.
 */
final class Sql {
    /** Item tables are {@code store_<name>}: never collides with SQLite's {@code sqlite_} tables or ours. */
    static final String ITEM_TABLE_PREFIX = "store_";

    private Sql() {
    }

    /** Quoted item-table names by store name; each name is checked once. */
    private static final Map<String, String> QUOTED = new ConcurrentHashMap<>();

    /** The quoted name of the item table of store {@code name}. */
    static String itemTable(String name) {
        String quoted = QUOTED.get(name);
        if (quoted == null) {
            quoted = "\"" + ITEM_TABLE_PREFIX + TableNames.require(name) + "\"";
            if (QUOTED.size() < 10_000) {
                QUOTED.put(name, quoted);
            }
        }
        return quoted;
    }

    /** The statements of one item table, built once per table. */
    record TableSql(String selectItem, String selectState, String upsert, String batchUpsert, String delete) {
        private static final Map<String, TableSql> BY_TABLE = new ConcurrentHashMap<>();

        static TableSql of(String table) {
            TableSql sql = BY_TABLE.get(table);
            if (sql == null) {
                sql = new TableSql(Sql.selectItem(table), Sql.selectState(table), Sql.upsert(table), Sql.batchUpsert(table),
                        Sql.delete(table));
                if (BY_TABLE.size() < 10_000) {
                    BY_TABLE.put(table, sql);
                }
            }
            return sql;
        }
    }

    /**
     * The item layout. A rowid table with {@code PRIMARY KEY(pk, sk)} (measured smaller and
     * faster than WITHOUT ROWID for ~1 KB payloads on 4 KB pages); the payload is the last
     * column so that reading a version or expiry never touches its overflow pages.
     */
    static String createItemTable(String name) {
        return "CREATE TABLE IF NOT EXISTS " + itemTable(name) + " ("
                + "pk TEXT NOT NULL, "
                + "sk TEXT NOT NULL, "
                + "version INTEGER NOT NULL, "
                + "expires_at INTEGER, "
                + "payload BLOB NOT NULL, "
                + "PRIMARY KEY (pk, sk))";
    }

    /**
     * A partial index of the items that expire, so that purging expired items reads only those;
     * items without expiry (the common case) cost nothing in it.
     */
    static String createExpiryIndex(String name) {
        return "CREATE INDEX IF NOT EXISTS \"" + ITEM_TABLE_PREFIX + TableNames.require(name) + "_expiry\" ON "
                + itemTable(name) + " (expires_at) WHERE expires_at IS NOT NULL";
    }

    /** Deletes at most {@code ?2} items expired at {@code ?1} (epoch seconds), through the expiry index. */
    static String purgeExpired(String table) {
        return "DELETE FROM " + itemTable(table) + " WHERE rowid IN (SELECT rowid FROM " + itemTable(table)
                + " WHERE expires_at <= ? LIMIT ?)";
    }

    /**
     * Stands for "no expiry" in reads ({@code IFNULL(expires_at, NO_EXPIRY)}), so a reader learns
     * a NULL without a second JNI call per row ({@code wasNull}). No stored expiry can equal it:
     * {@code Instant} ends at ±31,556,889,864,403,199 seconds.
     */
    static final long NO_EXPIRY = Long.MIN_VALUE + 1;
    private static final String EXPIRY_OR_SENTINEL = "IFNULL(expires_at, " + NO_EXPIRY + ")";

    static String selectItem(String table) {
        return "SELECT version, " + EXPIRY_OR_SENTINEL + ", payload FROM " + itemTable(table) + " WHERE pk = ? AND sk = ?";
    }

    static String selectState(String table) {
        return "SELECT version, expires_at FROM " + itemTable(table) + " WHERE pk = ? AND sk = ?";
    }

    /**
     * A put of a batch (unconditional, its new version not reported) in one statement: version 1
     * for a new item or one whose expiry has passed at {@code ?5} (epoch seconds), the current
     * version + 1 otherwise (the right-hand sides of {@code DO UPDATE SET} see the row before the
     * update). Parameters: pk, sk, expires_at (or NULL), payload, now.
     */
    static String batchUpsert(String table) {
        return "INSERT INTO " + itemTable(table) + " (pk, sk, version, expires_at, payload) VALUES (?1, ?2, 1, ?3, ?4) "
                + "ON CONFLICT (pk, sk) DO UPDATE SET "
                + "version = CASE WHEN expires_at IS NOT NULL AND expires_at <= ?5 THEN 1 ELSE version + 1 END, "
                + "expires_at = excluded.expires_at, payload = excluded.payload";
    }

    static String upsert(String table) {
        return "INSERT INTO " + itemTable(table) + " (pk, sk, version, expires_at, payload) VALUES (?, ?, ?, ?, ?) "
                + "ON CONFLICT (pk, sk) DO UPDATE SET version = excluded.version, "
                + "expires_at = excluded.expires_at, payload = excluded.payload";
    }

    /**
     * An import under {@code IF_NEWER}: insert, or replace a row whose version is lower or whose
     * expiry has passed at {@code ?6}; otherwise leave it (0 rows changed). Parameters: pk, sk,
     * version, expires_at (or NULL), payload, now.
     */
    static String importIfNewer(String table) {
        return "INSERT INTO " + itemTable(table) + " (pk, sk, version, expires_at, payload) VALUES (?1, ?2, ?3, ?4, ?5) "
                + "ON CONFLICT (pk, sk) DO UPDATE SET version = excluded.version, "
                + "expires_at = excluded.expires_at, payload = excluded.payload "
                + "WHERE version < excluded.version OR (expires_at IS NOT NULL AND expires_at <= ?6)";
    }

    /** The extent of the rowids (an O(log n) read of the table's b-tree ends), to sample keys without a full scan. */
    static String rowidRange(String table) {
        return "SELECT min(rowid), max(rowid) FROM " + itemTable(table);
    }

    /** The key of the first row at or after rowid {@code ?}: one b-tree seek. */
    static String keyAtRowid(String table) {
        return "SELECT pk, sk FROM " + itemTable(table) + " WHERE rowid >= ? ORDER BY rowid LIMIT 1";
    }

    /**
     * One page of a scan segment in (pk, sk) order on the primary key's index, the bounds as row
     * values: {@code (pk, sk) > after} or {@code >= from}, {@code < to}; {@code ?} for each bound
     * given (pk then sk), then the limit.
     */
    static String scanPage(String table, boolean hasStart, boolean startInclusive, boolean hasEnd) {
        StringBuilder sql = new StringBuilder("SELECT pk, sk, version, " + EXPIRY_OR_SENTINEL + ", payload FROM ")
                .append(itemTable(table)).append(" WHERE 1");
        if (hasStart) {
            sql.append(startInclusive ? " AND (pk, sk) >= (?, ?)" : " AND (pk, sk) > (?, ?)");
        }
        if (hasEnd) {
            sql.append(" AND (pk, sk) < (?, ?)");
        }
        return sql.append(" ORDER BY pk, sk LIMIT ?").toString();
    }

    static String delete(String table) {
        return "DELETE FROM " + itemTable(table) + " WHERE pk = ? AND sk = ?";
    }

    /** A query's SQL and its parameters, in order. */
    record Select(String sql, List<Object> parameters) {
    }

    /**
     * One page of a partition: the range as {@code sk >= ? AND sk < ?}-style bounds on the
     * primary key (never {@code LIKE}), unexpired items only, one row more than the limit so
     * the caller knows whether more follow.
     */
    static Select query(String table, String pk, KeyRange range, Direction direction, String exclusiveStartSk,
                        long nowEpochSecond, int limit) {
        StringBuilder sql = new StringBuilder("SELECT sk, version, " + EXPIRY_OR_SENTINEL + ", payload FROM ")
                .append(itemTable(table)).append(" WHERE pk = ?");
        List<Object> params = new ArrayList<>();
        params.add(pk);
        if (range instanceof KeyRange.Prefix p) {
            sql.append(" AND sk >= ?");
            params.add(p.prefix());
            // Bound as TEXT: SQLite orders every TEXT before every BLOB, so a BLOB bound would be wrong.
            String upper = SortKeys.prefixUpperBound(p.prefix());
            if (upper != null) {
                sql.append(" AND sk < ?");
                params.add(upper);
            }
        } else if (range instanceof KeyRange.Between b) {
            sql.append(" AND sk >= ? AND sk <= ?");
            params.add(b.from());
            params.add(b.to());
        } else if (range instanceof KeyRange.AtLeast a) {
            sql.append(" AND sk >= ?");
            params.add(a.from());
        } else if (range instanceof KeyRange.AtMost a) {
            sql.append(" AND sk <= ?");
            params.add(a.to());
        } else if (!(range instanceof KeyRange.All)) {
            throw new IllegalArgumentException("unknown key range " + range);
        }
        boolean ascending = direction == Direction.ASCENDING;
        if (exclusiveStartSk != null) {
            sql.append(ascending ? " AND sk > ?" : " AND sk < ?");
            params.add(exclusiveStartSk);
        }
        sql.append(" AND (expires_at IS NULL OR expires_at > ?)");
        params.add(nowEpochSecond);
        sql.append(ascending ? " ORDER BY sk ASC" : " ORDER BY sk DESC").append(" LIMIT ?");
        params.add(limit + 1);
        return new Select(sql.toString(), params);
    }
}
