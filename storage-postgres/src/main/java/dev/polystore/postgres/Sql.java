package dev.polystore.postgres;

import dev.polystore.Direction;
import dev.polystore.KeyRange;
import dev.polystore.spi.SortKeys;
import dev.polystore.spi.TableNames;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Every SQL statement the backend runs, for one schema and table prefix. The only identifiers
 * spliced into SQL are the schema (checked against {@code [a-z_][a-z0-9_]{0,62}} when the
 * settings are read), the table prefix (checked likewise) and store names, checked again here
 * with {@link TableNames#require}; each is double-quoted. Every value is a bound parameter.
 *
 * <p><b>Layout.</b> One table per store, {@code <prefix><store>}:
 * {@code pk bytea, sk bytea, version bigint, expires_at bigint (epoch seconds, null = never),
 * wt bytea (write token of the last write), payload bytea}, primary key {@code (pk, sk)}, and a
 * partial index {@code <prefix><store>_exp} on {@code expires_at} of the rows that expire. Keys
 * are their UTF-8 bytes: {@code bytea} compares as unsigned bytes, which is Polystore's sort-key
 * order whatever the database's encoding and collation, and holds every valid key. Prefix
 * queries are key ranges ({@code sk >= prefix AND sk < bound}, bound from
 * {@link SortKeys#prefixUpperBound(byte[])}), never {@code LIKE}. Expiry is decided with the
 * caller's clock, passed as a parameter ({@code now}): a row with {@code expires_at <= now} is
 * absent to every read and condition.
 */
final class Sql {
    /** Columns of an item table, in order. */
    static final String COLUMNS = "pk, sk, version, expires_at, wt, payload";
    private static final String LIVE = "(expires_at IS NULL OR expires_at > ?)";

    final String schema;
    final String prefix;
    private final Map<String, TableSql> byTable = new ConcurrentHashMap<>();
    private final Map<String, String> queries = new ConcurrentHashMap<>();

    Sql(String schema, String prefix) {
        this.schema = schema;
        this.prefix = prefix;
    }

    static String quote(String identifier) {
        return "\"" + identifier + "\"";
    }

    /** The unqualified name of the item table of {@code store}. */
    String tableName(String store) {
        return prefix + TableNames.require(store);
    }

    /** The schema-qualified, quoted name of the item table of {@code store}. */
    String itemTable(String store) {
        return quote(schema) + "." + quote(tableName(store));
    }

    /** The schema-version table ({@code <prefix>_schema}; no store name starts with '_'). */
    String versionTableName() {
        return prefix + "_schema";
    }

    String versionTable() {
        return quote(schema) + "." + quote(versionTableName());
    }

    /** The table registry ({@code <prefix>_tables}). */
    String tablesTableName() {
        return prefix + "_tables";
    }

    String tablesTable() {
        return quote(schema) + "." + quote(tablesTableName());
    }

    /** A 64-bit advisory lock key for {@code what} within this schema and prefix (transaction-scoped locks only). */
    long lockKey(String what) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(("polystore:" + schema + "." + prefix + ":" + what)
                    .getBytes(StandardCharsets.UTF_8));
            long k = 0;
            for (int i = 0; i < 8; i++) {
                k = (k << 8) | (d[i] & 0xFF);
            }
            return k;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing", e);
        }
    }

    List<String> createItemTable(String store) {
        String t = itemTable(store);
        return List.of(
                "CREATE TABLE IF NOT EXISTS " + t + " (pk bytea NOT NULL, sk bytea NOT NULL, version bigint NOT NULL, "
                        + "expires_at bigint, wt bytea, payload bytea NOT NULL, PRIMARY KEY (pk, sk))",
                "CREATE INDEX IF NOT EXISTS " + quote(tableName(store) + "_exp") + " ON " + t
                        + " (expires_at) WHERE expires_at IS NOT NULL");
    }

    TableSql table(String store) {
        TableSql sql = byTable.get(store);
        if (sql == null) {
            sql = new TableSql(itemTable(store));
            if (byTable.size() < 10_000) {
                byTable.put(store, sql);
            }
        }
        return sql;
    }

    /** The statements of one item table, built once. */
    static final class TableSql {
        final String table;
        /** pk, sk → version, expires_at, payload. */
        final String get;
        /** pk, sk, expires_at, wt, payload, now → version. */
        final String putAny;
        /** pk, sk, expires_at, wt, payload, now → version, or no row if a live item is there. */
        final String putIfAbsent;
        /** expires_at, wt, payload, pk, sk, now → version, or no row. */
        final String putIfExists;
        /** expires_at, wt, payload, pk, sk, version, now → version, or no row. */
        final String putIfVersion;
        /** pk, sk, now → whether the deleted row was live; no row if there was none. */
        final String deleteAny;
        /** pk, sk, now → count. */
        final String deleteIfExists;
        /** pk, sk, version, now → count. */
        final String deleteIfVersion;
        /** pks[], sks[], now → pk, sk, version, expires_at, payload of live rows. */
        final String batchGet;
        /** wt, pks[], sks[], expiries[], payloads[], now → count. */
        final String batchPut;
        /**
         * statement timeout (ms, text), pks[], sks[] → the timeout, whether any of the keys has a row
         * (live, expired or a placeholder); sets {@code statement_timeout} for the rest of the transaction.
         */
        final String probeKeys;
        /** {@code COPY} of new rows in {@link BinaryCopy}'s format, every column. */
        final String copyRows;
        /**
         * Of a batch chunk whose probe ({@link #probeKeys}) found stored keys, how many of the
         * following chunks go straight to {@link #batchPut} without a probe (a hint, not state
         * anything depends on).
         */
        final AtomicInteger probeSkips = new AtomicInteger();
        /** pks[], sks[] → count. */
        final String batchDelete;
        /** pks[], sks[]: locks every key, inserting an expired placeholder (version 0) where none is. */
        final String lockKeys;
        /** pks[], sks[] → pk, sk, version, expires_at, txid_current(). */
        final String readLocked;
        /** wt, pks[], sks[], versions[], expiries[], payloads[] → count. */
        final String updateLocked;
        /** pk, sk → version, wt. */
        final String readToken;
        /** pks[], sks[] → pk, sk, wt. */
        final String readTokens;
        /** now, limit → count: deletes up to limit expired rows, skipping rows others have locked. */
        final String purge;
        /**
         * wt, pks[], sks[], versions[], expiries[], payloads[] → pk, sk of the rows written: an
         * import that keeps each item's version and expiry, over whatever is there.
         */
        final String importOverwrite;
        /**
         * As {@link #importOverwrite}, then now: writes only over no row, an expired row (or a
         * transaction's placeholder) or a lower version. The conflicting row is locked whether
         * or not it is written, so a read of the kept rows in the same transaction sees the
         * version the decision was made on.
         */
        final String importIfNewer;
        /** pks[], sks[] → pk, sk, version, expires_at (every row, live or not). */
        final String readVersions;

        TableSql(String t) {
            this.table = t;
            get = "SELECT version, expires_at, payload FROM " + t + " WHERE pk = ? AND sk = ?";
            putAny = "INSERT INTO " + t + " AS o (" + COLUMNS + ") VALUES (?, ?, 1, ?, ?, ?) ON CONFLICT (pk, sk) DO UPDATE "
                    + "SET version = CASE WHEN o.expires_at IS NOT NULL AND o.expires_at <= ? THEN 1 ELSE o.version + 1 END, "
                    + "expires_at = EXCLUDED.expires_at, wt = EXCLUDED.wt, payload = EXCLUDED.payload RETURNING version";
            putIfAbsent = "INSERT INTO " + t + " AS o (" + COLUMNS + ") VALUES (?, ?, 1, ?, ?, ?) ON CONFLICT (pk, sk) DO UPDATE "
                    + "SET version = 1, expires_at = EXCLUDED.expires_at, wt = EXCLUDED.wt, payload = EXCLUDED.payload "
                    + "WHERE o.expires_at IS NOT NULL AND o.expires_at <= ? RETURNING version";
            putIfExists = "UPDATE " + t + " SET version = version + 1, expires_at = ?, wt = ?, payload = ? "
                    + "WHERE pk = ? AND sk = ? AND " + LIVE + " RETURNING version";
            putIfVersion = "UPDATE " + t + " SET version = version + 1, expires_at = ?, wt = ?, payload = ? "
                    + "WHERE pk = ? AND sk = ? AND version = ? AND " + LIVE + " RETURNING version";
            deleteAny = "DELETE FROM " + t + " WHERE pk = ? AND sk = ? RETURNING " + LIVE.replace("?", "?::bigint");
            deleteIfExists = "DELETE FROM " + t + " WHERE pk = ? AND sk = ? AND " + LIVE;
            deleteIfVersion = "DELETE FROM " + t + " WHERE pk = ? AND sk = ? AND version = ? AND " + LIVE;
            String keys = "unnest(?::bytea[], ?::bytea[]) AS k(pk, sk)";
            batchGet = "SELECT t.pk, t.sk, t.version, t.expires_at, t.payload FROM " + t + " t JOIN " + keys
                    + " ON t.pk = k.pk AND t.sk = k.sk WHERE t.expires_at IS NULL OR t.expires_at > ?";
            batchPut = "INSERT INTO " + t + " AS o (" + COLUMNS + ") SELECT u.pk, u.sk, 1, u.e, ?, u.p FROM "
                    + "unnest(?::bytea[], ?::bytea[], ?::int8[], ?::bytea[]) AS u(pk, sk, e, p) ON CONFLICT (pk, sk) DO UPDATE "
                    + "SET version = CASE WHEN o.expires_at IS NOT NULL AND o.expires_at <= ? THEN 1 ELSE o.version + 1 END, "
                    + "expires_at = EXCLUDED.expires_at, wt = EXCLUDED.wt, payload = EXCLUDED.payload";
            probeKeys = "SELECT set_config('statement_timeout', ?, true), EXISTS (SELECT 1 FROM " + t + " t JOIN " + keys
                    + " ON t.pk = k.pk AND t.sk = k.sk)";
            copyRows = "COPY " + t + " (" + COLUMNS + ") FROM STDIN (FORMAT binary)";
            batchDelete = "DELETE FROM " + t + " t USING " + keys + " WHERE t.pk = k.pk AND t.sk = k.sk";
            lockKeys = "INSERT INTO " + t + " AS o (" + COLUMNS + ") SELECT k.pk, k.sk, 0, 0, NULL, ''::bytea FROM "
                    + keys + " ON CONFLICT (pk, sk) DO UPDATE SET version = o.version WHERE false";
            readLocked = "SELECT t.pk, t.sk, t.version, t.expires_at, txid_current() FROM " + t + " t JOIN " + keys
                    + " ON t.pk = k.pk AND t.sk = k.sk";
            updateLocked = "UPDATE " + t + " AS o SET version = u.v, expires_at = u.e, wt = ?, payload = u.p FROM "
                    + "unnest(?::bytea[], ?::bytea[], ?::int8[], ?::int8[], ?::bytea[]) AS u(pk, sk, v, e, p) "
                    + "WHERE o.pk = u.pk AND o.sk = u.sk";
            readToken = "SELECT version, wt FROM " + t + " WHERE pk = ? AND sk = ?";
            readTokens = "SELECT t.pk, t.sk, t.wt FROM " + t + " t JOIN " + keys + " ON t.pk = k.pk AND t.sk = k.sk";
            purge = "DELETE FROM " + t + " WHERE ctid = ANY (ARRAY(SELECT ctid FROM " + t
                    + " WHERE expires_at <= ? LIMIT ? FOR UPDATE SKIP LOCKED))";
            importOverwrite = "INSERT INTO " + t + " AS o (" + COLUMNS + ") SELECT u.pk, u.sk, u.v, u.e, ?, u.p FROM "
                    + "unnest(?::bytea[], ?::bytea[], ?::int8[], ?::int8[], ?::bytea[]) AS u(pk, sk, v, e, p) "
                    + "ON CONFLICT (pk, sk) DO UPDATE SET version = EXCLUDED.version, expires_at = EXCLUDED.expires_at, "
                    + "wt = EXCLUDED.wt, payload = EXCLUDED.payload";
            importIfNewer = importOverwrite + " WHERE o.version < EXCLUDED.version OR (o.expires_at IS NOT NULL "
                    + "AND o.expires_at <= ?) RETURNING pk, sk";
            readVersions = "SELECT t.pk, t.sk, t.version, t.expires_at FROM " + t + " t JOIN " + keys
                    + " ON t.pk = k.pk AND t.sk = k.sk";
        }
    }

    /**
     * The stores of this schema and prefix: tables named {@code <prefix><store>} that have an
     * item table's columns (so tables a DBA created without registering them count too).
     * Parameters: schema, prefix, prefix length + 1.
     */
    static final String LIST_TABLES = "SELECT substr(c.relname, ?) FROM pg_class c JOIN pg_namespace n "
            + "ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relkind IN ('r', 'p') AND starts_with(c.relname, ?) "
            + "AND (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
            + "AND a.attname IN ('pk', 'sk', 'version', 'expires_at', 'wt', 'payload')) = 6";

    /**
     * The cheap size of an item table, from the catalogue: {@code reltuples} (an estimate, -1 or
     * 0 before the first VACUUM or ANALYZE) and its size in pages now. Parameter: the qualified table name.
     */
    static final String TABLE_SIZE = "SELECT c.reltuples::bigint, pg_relation_size(c.oid) / current_setting('block_size')::int "
            + "FROM pg_class c WHERE c.oid = ?::regclass";

    /** Keys of a sample of whole pages ({@code TABLESAMPLE SYSTEM}): percent. Reads only the sampled pages. */
    String sampleKeys(String store) {
        return "SELECT pk, sk FROM " + itemTable(store) + " TABLESAMPLE SYSTEM (?)";
    }

    /**
     * One page of a scan segment, in key order over the primary key's index: rows with keys
     * after the start (inclusive or not) and before the end, at most limit. An expired row's
     * payload is not sent (only its length). Parameters: [start pk, sk], [end pk, sk], now, limit.
     */
    String scanPage(String store, boolean hasStart, boolean inclusive, boolean hasEnd) {
        String key = store + "|scan" + (hasStart ? inclusive ? "i" : "x" : "") + (hasEnd ? "e" : "");
        String cached = queries.get(key);
        if (cached != null) {
            return cached;
        }
        StringBuilder q = new StringBuilder("SELECT pk, sk, version, expires_at, CASE WHEN ")
                .append("expires_at IS NULL OR expires_at > ? THEN payload END FROM ").append(itemTable(store)).append(" WHERE true");
        if (hasStart) {
            q.append(inclusive ? " AND (pk, sk) >= (?, ?)" : " AND (pk, sk) > (?, ?)");
        }
        if (hasEnd) {
            q.append(" AND (pk, sk) < (?, ?)");
        }
        q.append(" ORDER BY pk, sk LIMIT ?");
        String sql = q.toString();
        if (queries.size() < 10_000) {
            queries.put(key, sql);
        }
        return sql;
    }

    /** A query's SQL and its parameters, in order (byte arrays and longs). */
    record Select(String sql, List<Object> parameters) {
    }

    /**
     * One page of a partition: the range as bounds on the primary key, unexpired rows only, one
     * row more than the limit so the caller knows whether more follow. Parameters: pk, bounds,
     * start key, now, limit + 1.
     */
    Select query(String store, byte[] pk, KeyRange range, Direction direction, byte[] exclusiveStart,
                 long now, int limit) {
        List<Object> params = new ArrayList<>(6);
        params.add(pk);
        StringBuilder shape = new StringBuilder();
        if (range instanceof KeyRange.Prefix p) {
            byte[] from = SortKeys.utf8(p.prefix());
            byte[] upper = SortKeys.prefixUpperBound(from);
            params.add(from);
            shape.append('g');
            if (upper != null) {
                params.add(upper);
                shape.append('l');
            }
        } else if (range instanceof KeyRange.Between b) {
            params.add(SortKeys.utf8(b.from()));
            params.add(SortKeys.utf8(b.to()));
            shape.append("ge");
        } else if (range instanceof KeyRange.AtLeast a) {
            params.add(SortKeys.utf8(a.from()));
            shape.append('g');
        } else if (range instanceof KeyRange.AtMost a) {
            params.add(SortKeys.utf8(a.to()));
            shape.append('e');
        } else if (!(range instanceof KeyRange.All)) {
            throw new IllegalArgumentException("unknown key range " + range);
        }
        boolean ascending = direction == Direction.ASCENDING;
        if (exclusiveStart != null) {
            params.add(exclusiveStart);
            shape.append(ascending ? 'A' : 'D');
        }
        params.add(now);
        params.add((long) limit + 1);
        shape.append(ascending ? '+' : '-');
        String key = store + "|" + shape;
        String sql = queries.get(key);
        if (sql == null) {
            sql = buildQuery(store, shape.toString());
            if (queries.size() < 10_000) {
                queries.put(key, sql);
            }
        }
        return new Select(sql, params);
    }

    private String buildQuery(String store, String shape) {
        StringBuilder sql = new StringBuilder("SELECT sk, version, expires_at, payload FROM ").append(itemTable(store))
                .append(" WHERE pk = ?");
        for (char c : shape.toCharArray()) {
            switch (c) {
                case 'g' -> sql.append(" AND sk >= ?");
                case 'l' -> sql.append(" AND sk < ?");
                case 'e' -> sql.append(" AND sk <= ?");
                case 'A' -> sql.append(" AND sk > ?");
                case 'D' -> sql.append(" AND sk < ?");
                default -> { }
            }
        }
        sql.append(" AND ").append(LIVE);
        sql.append(shape.endsWith("+") ? " ORDER BY sk ASC" : " ORDER BY sk DESC").append(" LIMIT ?");
        return sql.toString();
    }
}
