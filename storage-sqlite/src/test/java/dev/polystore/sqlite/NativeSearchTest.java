package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Capability;
import dev.polystore.DocumentStore;
import dev.polystore.Storage;
import dev.polystore.document.NewDocument;
import dev.polystore.document.SearchHit;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The document store's search runs on SQLite FTS5 ({@code NATIVE_SEARCH}); triggers keep the
 * index equal to the text items in the transactions that write them.
 */
class NativeSearchTest {
    @TempDir
    Path dir;

    private static long ftsRows(Path db) throws SQLException {
        try (Connection c = Sqlite.raw(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM store_documents_fts")) {
            return rs.getLong(1);
        }
    }

    private static List<Long> ids(List<SearchHit> hits) {
        return hits.stream().map(SearchHit::id).toList();
    }

    @Test
    void searchUsesFts5AndTheIndexFollowsEveryWrite() throws Exception {
        Path db = dir.resolve("s.db");
        try (Storage storage = Sqlite.open(db)) {
            assertTrue(storage.capabilities().has(Capability.NATIVE_SEARCH));
            DocumentStore docs = storage.documents();
            long a = await(docs.addDocument(NewDocument.of("Kestrel notes", "the kestrel hovers over fields")));
            long b = await(docs.addDocument(NewDocument.of("Owls", "barn owl and kestrel at dusk")));
            long c = await(docs.addDocument(NewDocument.of("Café", "résumé of the café visit")));

            assertEquals(List.of(a, b), ids(await(docs.search("kestrel", 10))), "two hits, the denser one first");
            assertEquals(List.of(b), ids(await(docs.search("OWL kestrel", 10))), "every term required, case folded");
            assertEquals(List.of(c), ids(await(docs.search("café", 10))));
            assertEquals(List.of(), ids(await(docs.search("cafe", 10))), "diacritics are significant");
            assertEquals(3, ftsRows(db), "one FTS row per document");

            Long version = await(docs.getDocument(b)).orElseThrow().version();
            await(docs.updateDocument(b, version, NewDocument.of("Owls", "barn owl at dusk")));
            assertEquals(List.of(a), ids(await(docs.search("kestrel", 10))), "an update re-indexes the document");
            await(docs.deleteDocument(a));
            assertEquals(List.of(), ids(await(docs.search("kestrel", 10))), "a delete removes it from the index");
            assertEquals(2, ftsRows(db));
        }
        try (Storage storage = Sqlite.open(db)) {
            assertEquals(1, await(storage.documents().search("owl", 10)).size(), "the index is in the file");
        }
    }

    @Test
    void textItemsWrittenBeforeTheIndexExistedAreIndexedByPrepareIndex() throws Exception {
        Path db = dir.resolve("late.db");
        long id;
        try (Storage storage = Sqlite.open(db)) {
            id = await(storage.documents().addDocument(NewDocument.of("Heron", "grey heron fishing")));
        }
        // No search yet, so no index yet: the document was written without one.
        try (Connection c = Sqlite.raw(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM sqlite_schema WHERE name = 'store_documents_fts'")) {
            assertEquals(0, rs.getLong(1));
        }
        try (Storage storage = Sqlite.open(db)) {
            assertEquals(List.of(id), ids(await(storage.documents().search("heron", 10))));
            assertEquals(1, ftsRows(db));
        }
    }
}
