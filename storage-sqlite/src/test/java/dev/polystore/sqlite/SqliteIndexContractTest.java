package dev.polystore.sqlite;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.StorageConfig;
import dev.polystore.testkit.KitAssertions;
import dev.polystore.testkit.index.IndexContract;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The index contract against SQLite on a temporary file, and {@code Storage.unwrap} of a read-only data source. */
class SqliteIndexContractTest extends IndexContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder()
                .backend("sqlite")
                .set("sqlite.path", tempDir.resolve("t.db").toString())
                .build();
    }

    @Test
    @DisplayName("unwrap(DataSource.class) opens the file read-only: EXPLAIN QUERY PLAN works, an INSERT fails")
    void unwrapReadOnlyDataSource() throws SQLException {
        String store = tag + "uw";
        KitAssertions.await(storage.store(store, Codec.utf8()).put(Item.of("a", "b", "c")));
        DataSource ds = storage.unwrap(DataSource.class);
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("EXPLAIN QUERY PLAN SELECT payload FROM " + Sql.itemTable(store)
                    + " WHERE pk = 'a' AND sk = 'b'")) {
                assertTrue(rs.next(), "a query plan");
            }
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + Sql.itemTable(store))) {
                assertTrue(rs.next() && rs.getLong(1) == 1);
            }
            assertThrows(SQLException.class, () -> st.executeUpdate("DELETE FROM " + Sql.itemTable(store)));
        }
        assertTrue(KitAssertions.await(storage.store(store, Codec.utf8()).get("a", "b")).isPresent(),
                "the item is still there");
    }
}
