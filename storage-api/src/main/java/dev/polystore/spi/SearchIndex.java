package dev.polystore.spi;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A backend's native full-text index for the document store ({@link dev.polystore.Capability#NATIVE_SEARCH}),
 * returned by {@link StorageBackend#searchIndex()}. Optional: without it the document store
 * searches its portable term index, which every backend has because the store always writes it.
 *
 * <p><b>What is indexed.</b> The document store keeps, for each live document, one <em>text
 * item</em> in its table: partition key {@code doc#<id>} (decimal id), sort key
 * {@value #TEXT_SORT_KEY}, payload a UTF-8 JSON object
 * {@code {"version": <long>, "title": <string>, "body": <string>}}. The text item is written,
 * replaced and deleted only inside {@link StorageBackend#transact} calls, together with the
 * document's other items. A backend offering this hook must keep its index equal to the set of
 * text items <em>in the same engine transaction</em> that writes them (whatever SPI method
 * writes them: transact, put, delete or batchWrite), so that a search never sees a document
 * whose write has not committed nor misses one whose write has. Items written before
 * {@link #prepareIndex(String)} was first called must be indexed by it.
 *
 * <p><b>What a search means.</b> The store tokenizes the query itself with
 * {@link SearchTerms#queryTerms} and passes the distinct, folded terms. The index must return
 * exactly the documents whose title or body contains every term as a whole token under
 * {@link SearchTerms} — the same <em>set</em> the portable index returns, for every Unicode
 * input. An engine's own tokenizer almost never gives that (SQLite's {@code unicode61}
 * classifies and folds by Unicode 6.1 tables and keeps combining marks inside tokens), so the
 * safe design is to index {@link SearchTerms#tokens} of title and body as opaque strings (for
 * FTS5: the tokens joined with spaces under {@code tokenize = "ascii"}, which splits them back
 * into the same tokens and folds nothing that is not already folded) and to match each term as
 * one opaque token. The testkit's {@code DocumentStoreContract} compares the result set of a
 * native index with the portable index's on the same data, over a corpus drawn from the whole
 * Unicode range. Scores are the engine's own (for FTS5, {@code -bm25(...)} so that higher is
 * better); results are ordered by score descending, then by id ascending, and cut at
 * {@code limit}.
 *
 * <p>Thread-safe; futures complete with {@link dev.polystore.StoreException}s like every SPI method.
 */
public interface SearchIndex {
    /** The sort key of the text items a native index covers. */
    String TEXT_SORT_KEY = "doc#text";
    /** The prefix of the partition keys of text items, followed by the decimal document id. */
    String DOCUMENT_PK_PREFIX = "doc#";

    /**
     * Starts (or checks) the index over the text items of {@code table}. Called once per table
     * before the first {@link #search}; must be idempotent and index items already present.
     */
    CompletableFuture<Void> prepareIndex(String table);

    /**
     * The text items of {@code table} matching every term, best first, at most {@code limit}.
     *
     * @param terms distinct terms, 1 to 16 of them, each one folded token
     *              ({@link SearchTerms#isFoldedTerm}) of at most {@link SearchTerms#MAX_TERM_LENGTH} code points
     * @param limit 1 to 1000
     */
    CompletableFuture<List<Match>> search(String table, List<String> terms, int limit);

    /**
     * One matching document.
     *
     * @param pk the partition key of its text item, {@code doc#<id>}
     * @param score relevance, higher is better
     */
    record Match(String pk, double score) {
        public Match {
            Objects.requireNonNull(pk, "pk");
        }
    }
}
