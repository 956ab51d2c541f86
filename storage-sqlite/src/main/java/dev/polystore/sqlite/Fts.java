package dev.polystore.sqlite;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.polystore.spi.SearchIndex;
import dev.polystore.spi.SearchTerms;
import dev.polystore.spi.TableNames;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.stream.Collectors;
import org.sqlite.Function;

/**
 * SQL of the native full-text index ({@link SearchIndex}): an FTS5 table per item table, kept
 * equal to the table's text items (sort key {@value SearchIndex#TEXT_SORT_KEY}) by triggers, so
 * the index changes in the very transaction that writes, replaces or deletes a text item,
 * whichever connection or process writes it.
 *
 * <p><b>Same set as the portable index, for every Unicode input.</b> FTS5 never tokenizes the
 * text itself. The triggers index {@value #TOKENS_FUNCTION}{@code (payload, 'title')} and
 * {@code (payload, 'body')}: a function registered on every connection ({@link #register})
 * that decodes the text item's JSON as the document store does and returns the portable
 * tokenizer's tokens ({@link SearchTerms#tokens}) joined with single spaces. The FTS table uses
 * FTS5's {@code ascii} tokenizer, which splits at ASCII spaces and punctuation, keeps every
 * non-ASCII byte inside a token and folds only ASCII capitals, so it recovers exactly those
 * tokens and changes none of them (a folded token holds no ASCII capital, space or
 * punctuation). A query term, itself a folded token, is matched as one quoted string, tokenized
 * by the same {@code ascii} tokenizer into the same single token.
 */
final class Fts {
    /** The SQL function the triggers call; registered on every connection the backend opens. */
    static final String TOKENS_FUNCTION = "polystore_search_tokens";
    private static final String TEXT_SK = SearchIndex.TEXT_SORT_KEY;
    private static final JsonFactory JSON = new JsonFactory();

    static {
        if (TEXT_SK.indexOf('\'') >= 0) {
            throw new IllegalStateException("the text sort key must not contain a quote: " + TEXT_SK);
        }
    }

    private Fts() {
    }

    static String ftsTable(String table) {
        return "\"" + ftsTableName(table) + "\"";
    }

    /** The SQL name of the FTS table, as {@code sqlite_schema} lists it. */
    static String ftsTableName(String table) {
        return Sql.ITEM_TABLE_PREFIX + TableNames.require(table) + "_fts";
    }

    private static List<String> triggerNames(String table) {
        String base = ftsTableName(table);
        return List.of(base + "_insert", base + "_delete", base + "_update");
    }

    private static String tokens(String row, String field) {
        return TOKENS_FUNCTION + "(" + row + ".payload, '" + field + "')";
    }

    /** The FTS table and its three triggers, each idempotent. */
    static List<String> create(String table) {
        String t = Sql.itemTable(table);
        String fts = ftsTable(table);
        List<String> triggers = triggerNames(table);
        return List.of(
                "CREATE VIRTUAL TABLE IF NOT EXISTS " + fts + " USING fts5(title, body, tokenize = 'ascii')",
                "CREATE TRIGGER IF NOT EXISTS \"" + triggers.get(0) + "\" AFTER INSERT ON " + t
                        + " WHEN new.sk = '" + TEXT_SK + "' BEGIN INSERT INTO " + fts + " (rowid, title, body) VALUES "
                        + "(new.rowid, " + tokens("new", "title") + ", " + tokens("new", "body") + "); END",
                "CREATE TRIGGER IF NOT EXISTS \"" + triggers.get(1) + "\" AFTER DELETE ON " + t
                        + " WHEN old.sk = '" + TEXT_SK + "' BEGIN DELETE FROM " + fts + " WHERE rowid = old.rowid; END",
                "CREATE TRIGGER IF NOT EXISTS \"" + triggers.get(2) + "\" AFTER UPDATE ON " + t
                        + " WHEN old.sk = '" + TEXT_SK + "' OR new.sk = '" + TEXT_SK + "' BEGIN "
                        + "DELETE FROM " + fts + " WHERE rowid = old.rowid; "
                        + "INSERT INTO " + fts + " (rowid, title, body) SELECT new.rowid, " + tokens("new", "title")
                        + ", " + tokens("new", "body") + " WHERE new.sk = '" + TEXT_SK + "'; END");
    }

    /** Drops the FTS table of {@code table} and its triggers, whichever version made them. */
    static List<String> drop(String table) {
        List<String> out = new java.util.ArrayList<>();
        for (String trigger : triggerNames(table)) {
            out.add("DROP TRIGGER IF EXISTS \"" + trigger + "\"");
        }
        out.add("DROP TABLE IF EXISTS " + ftsTable(table));
        return out;
    }

    /** Indexes the text items already in the table (run once, when the FTS table is created). */
    static String backfill(String table) {
        return "INSERT INTO " + ftsTable(table) + " (rowid, title, body) SELECT rowid, " + tokens("t", "title") + ", "
                + tokens("t", "body") + " FROM " + Sql.itemTable(table) + " AS t WHERE t.sk = '" + TEXT_SK + "'";
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

    /**
     * Every term as an FTS5 string, all required. The terms are folded tokens
     * ({@link SearchTerms#isFoldedTerm}), so they hold no quote and each is one {@code ascii} token.
     */
    static String matchExpression(List<String> terms) {
        for (String term : terms) {
            if (!SearchTerms.isFoldedTerm(term)) {
                throw new IllegalArgumentException("not a folded search term (SearchTerms.queryTerms makes them): \""
                        + term + "\"");
            }
        }
        return terms.stream().map(term -> "\"" + term + "\"").collect(Collectors.joining(" AND "));
    }

    /** Registers {@value #TOKENS_FUNCTION} on a connection (one instance per connection). */
    static void register(Connection c) throws SQLException {
        Function.create(c, TOKENS_FUNCTION, new TokensFunction(), 2, Function.FLAG_DETERMINISTIC);
    }

    /**
     * The indexed text of one field of a text item: {@link SearchTerms#tokens} of the field's
     * string joined with single spaces; null if the payload is not a JSON object with that
     * string field (such an item is not a document's text and is not searchable either way).
     */
    static String indexedText(byte[] payload, String field) {
        String value = stringField(payload, field);
        return value == null ? null : String.join(" ", SearchTerms.tokens(value));
    }

    /** The string value of a top-level field (the last one, as the store's JSON decoding takes it). */
    private static String stringField(byte[] json, String field) {
        if (json == null) {
            return null;
        }
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            String found = null;
            JsonToken token;
            while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals(field)) {
                    found = value == JsonToken.VALUE_STRING ? p.getText() : null;
                } else {
                    p.skipChildren();
                }
            }
            return token == JsonToken.END_OBJECT ? found : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** {@value #TOKENS_FUNCTION}(payload, field name): {@link #indexedText}. Not thread-safe: one per connection. */
    private static final class TokensFunction extends Function {
        @Override
        protected void xFunc() throws SQLException {
            if (args() != 2) {
                error(TOKENS_FUNCTION + " takes 2 arguments (payload, field name), got " + args());
                return;
            }
            String text = indexedText(value_blob(0), value_text(1));
            if (text == null) {
                result();
            } else {
                result(text);
            }
        }
    }
}
