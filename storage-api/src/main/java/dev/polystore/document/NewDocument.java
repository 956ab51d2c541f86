package dev.polystore.document;

import java.util.Map;
import java.util.Objects;

/**
 * The content of a document to add or replace.
 *
 * @param title title
 * @param body text
 * @param metadata free-form string attributes (not searched)
 */
public record NewDocument(String title, String body, Map<String, String> metadata) {
    public NewDocument {
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(body, "body");
        metadata = Map.copyOf(metadata);
    }

    public static NewDocument of(String title, String body) {
        return new NewDocument(title, body, Map.of());
    }
}
