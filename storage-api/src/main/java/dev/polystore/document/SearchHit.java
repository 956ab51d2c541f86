package dev.polystore.document;

/**
 * One search result.
 *
 * @param id the document's id
 * @param title the document's title
 * @param score relevance, higher is better; comparable only within one result list
 */
public record SearchHit(long id, String title, double score) {
}
