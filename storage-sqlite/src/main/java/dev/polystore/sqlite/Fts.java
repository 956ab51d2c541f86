package dev.polystore.sqlite;

import dev.polystore.spi.SearchIndex;
import dev.polystore.spi.TableNames;
import java.util.List;
import java.util.stream.Collectors;

/**
 * SQL of the native full-text index ({@link SearchIndex}): an FTS5 table per item table, kept
 * equal to the table's text items (sort key {@value SearchIndex#TEXT_SORT_KEY}) by triggers, so
 * the index changes in the very transaction that writes, replaces or deletes a text item,
 * whichever connection or process writes it.
 */
final class Fts {
    private static final String TEXT_SK = SearchIndex.TEXT_SORT_KEY;

    static {
        if (TEXT_SK.indexOf('\'') >= 0) {
            throw new IllegalStateException("the text sort key must not contain a quote: " + TEXT_SK);
        }
    }

    private Fts() {
    }

    static String ftsTable(String table) {
        return "\"" + Sql.ITEM_TABLE_PREFIX + TableNames.require(table) + "_fts\"";
    }

    /** The SQL name of the FTS table, as {@code sqlite_schema} lists it. */
    static String ftsTableName(String table) {
        return Sql.ITEM_TABLE_PREFIX + TableNames.require(table) + "_fts";
    }

    private static String field(String row, String name) {
        return "CASE WHEN json_valid(CAST(" + row + ".payload AS TEXT)) THEN json_extract(CAST(" + row
                + ".payload AS TEXT), '$." + name + "') END";
    }

    /** The FTS table and its three triggers, each idempotent. */
    static List<String> create(String table) {
        String t = Sql.itemTable(table);
        String fts = ftsTable(table);
        String trigger = "\"" + ftsTableName(table);
        return List.of(
                "CREATE VIRTUAL TABLE IF NOT EXISTS " + fts
                        + " USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 0')",
                "CREATE TRIGGER IF NOT EXISTS " + trigger + "_insert\" AFTER INSERT ON " + t
                        + " WHEN new.sk = '" + TEXT_SK + "' BEGIN INSERT INTO " + fts + " (rowid, title, body) VALUES "
                        + "(new.rowid, " + field("new", "title") + ", " + field("new", "body") + "); END",
                "CREATE TRIGGER IF NOT EXISTS " + trigger + "_delete\" AFTER DELETE ON " + t
                        + " WHEN old.sk = '" + TEXT_SK + "' BEGIN DELETE FROM " + fts + " WHERE rowid = old.rowid; END",
                "CREATE TRIGGER IF NOT EXISTS " + trigger + "_update\" AFTER UPDATE ON " + t
                        + " WHEN old.sk = '" + TEXT_SK + "' OR new.sk = '" + TEXT_SK + "' BEGIN "
                        + "DELETE FROM " + fts + " WHERE rowid = old.rowid; "
                        + "INSERT INTO " + fts + " (rowid, title, body) SELECT new.rowid, " + field("new", "title")
                        + ", " + field("new", "body") + " WHERE new.sk = '" + TEXT_SK + "'; END");
    }

    /** Indexes the text items already in the table (run once, when the FTS table is created). */
    static String backfill(String table) {
        return "INSERT INTO " + ftsTable(table) + " (rowid, title, body) SELECT rowid, " + field("t", "title") + ", "
                + field("t", "body") + " FROM " + Sql.itemTable(table) + " AS t WHERE t.sk = '" + TEXT_SK + "'";
    }

    /**
     * Matching unexpired text items, best first ({@code bm25} is lower for better matches), ties
     * by document id; parameters: the match expression, now (epoch seconds), the limit.
     */
    static String search(String table) {
        String fts = ftsTable(table);
        String t = Sql.itemTable(table);
        return "SELECT " + t + ".pk, bm25(" + fts + ") AS rank FROM " + fts + " JOIN " + t + " ON " + t + ".rowid = "
                + fts + ".rowid WHERE " + fts + " MATCH ? AND (" + t + ".expires_at IS NULL OR " + t
                + ".expires_at > ?) ORDER BY rank ASC, CAST(substr(" + t + ".pk, "
                + (SearchIndex.DOCUMENT_PK_PREFIX.length() + 1) + ") AS INTEGER) ASC LIMIT ?";
    }

    /** Every term as an FTS5 string (quotes doubled), all required. */
    static String matchExpression(List<String> terms) {
        return terms.stream().map(term -> "\"" + term.replace("\"", "\"\"") + "\"").collect(Collectors.joining(" AND "));
    }
}
