package dev.polystore.sqlite;

import static dev.polystore.sqlite.Sqlite.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Capability;
import dev.polystore.DocumentStore;
import dev.polystore.Storage;
import dev.polystore.ValidationException;
import dev.polystore.document.NewDocument;
import dev.polystore.document.SearchHit;
import dev.polystore.spi.SearchIndex;
import dev.polystore.spi.SearchTerms;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The document store's search runs on SQLite FTS5 ({@code NATIVE_SEARCH}); triggers keep the
 * index equal to the text items in the transactions that write them, and FTS5 indexes the
 * portable tokenizer's own tokens, so it finds what the portable index finds. (The kit's
 * {@code SqliteDocumentStoreTest} compares both on a corpus drawn from the whole Unicode range.)
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

    @Test
    void charactersUnicode61TokenizesDifferentlyAreFoundAsThePortableIndexFindsThem() throws Exception {
        Path db = dir.resolve("unicode.db");
        try (Storage storage = Sqlite.open(db)) {
            DocumentStore docs = storage.documents();
            long decomposed = await(docs.addDocument(NewDocument.of("t", "cafe\u0301 au lait")));
            long turkish = await(docs.addDocument(NewDocument.of("t", "\u0130stanbul")));
            long osage = await(docs.addDocument(NewDocument.of("t", "\uD801\uDCB0\uD801\uDCD8")));
            long newer = await(docs.addDocument(NewDocument.of("t", "\uA7B4 \u13A0 \u1C90")));
            long sigma = await(docs.addDocument(NewDocument.of("t", "\u039F\u0394\u039F\u03A3")));
            assertEquals(List.of(decomposed), ids(await(docs.search("cafe", 10))), "a combining mark separates tokens");
            assertEquals(List.of(turkish), ids(await(docs.search("istanbul", 10))), "U+0130 folds to i");
            assertEquals(List.of(turkish), ids(await(docs.search("\u0130STANBUL", 10))));
            assertEquals(List.of(osage), ids(await(docs.search("\uD801\uDCD8\uD801\uDCD8", 10))), "Osage (Unicode 9) folds");
            assertEquals(List.of(newer), ids(await(docs.search("\uA7B5", 10))), "Latin U+A7B4 (Unicode 8) folds to U+A7B5");
            assertEquals(List.of(newer), ids(await(docs.search("\uAB70", 10))), "Cherokee U+13A0 folds to U+AB70");
            assertEquals(List.of(newer), ids(await(docs.search("\u10D0", 10))), "Georgian Mtavruli U+1C90 folds to U+10D0");
            assertEquals(List.of(sigma), ids(await(docs.search("\u03BF\u03B4\u03BF\u03C3", 10))), "final \u03A3 folds to \u03C3");
            assertEquals(List.of(), ids(await(docs.search("\u03BF\u03B4\u03BF\u03C2", 10))), "not to the final form");
        }
        try (Connection c = Sqlite.raw(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT body FROM store_documents_fts ORDER BY rowid LIMIT 1")) {
            assertTrue(rs.next());
            assertEquals("cafe au lait", rs.getString(1), "FTS5 holds the portable tokens, separated by spaces");
        }
    }

    @Test
    void theAsciiTokenizerKeepsEveryFoldedTokenCharacterWhole() throws Exception {
        // Every token character, folded, as a token of its own: FTS5 must list exactly those terms.
        Set<String> expected = new HashSet<>();
        StringBuilder text = new StringBuilder();
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            if (SearchTerms.isTokenChar(cp)) {
                int folded = SearchTerms.fold(cp);
                assertTrue(SearchTerms.isTokenChar(folded) && SearchTerms.fold(folded) == folded, Integer.toHexString(cp));
                assertFalse(folded < 0x80 && !Character.isLetterOrDigit(folded), Integer.toHexString(cp));
                assertFalse(folded >= 'A' && folded <= 'Z', Integer.toHexString(cp));
                String token = new String(Character.toChars(folded));
                if (expected.add(token)) {
                    text.append(token).append(' ');
                }
            }
        }
        Set<String> listed = new HashSet<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite::memory:"); Statement st = c.createStatement()) {
            st.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'ascii')");
            st.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO t (x) VALUES (?)")) {
                ps.setString(1, text.toString());
                ps.executeUpdate();
            }
            try (ResultSet rs = st.executeQuery("SELECT term FROM v")) {
                while (rs.next()) {
                    listed.add(rs.getString(1));
                }
            }
        }
        assertTrue(expected.size() > 100_000, "token characters: " + expected.size());
        assertEquals(expected, listed);
    }

    @Test
    void termsMustBeFoldedTokens() throws Exception {
        try (Storage storage = Sqlite.open(dir.resolve("terms.db"))) {
            SearchIndex index = Sqlite.backend(storage).searchIndex().orElseThrow();
            await(storage.documents().search("warm", 1));
            for (String bad : List.of("Upper", "two words", "quo\"te", "")) {
                ValidationException e = Sqlite.failure(ValidationException.class, index.search("documents", List.of(bad), 10));
                assertTrue(e.getMessage().contains("folded"), e.getMessage());
            }
            assertNotEquals(null, await(index.search("documents", List.of("warm"), 10)));
        }
    }
}
