package dev.polystore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.StorageConfig;
import dev.polystore.UnavailableException;
import dev.polystore.testkit.KitAssertions;
import dev.polystore.testkit.index.IndexContract;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The index contract on a real PostgreSQL (builds read through the scan, which
 * {@link PostgresMigrationTest} checks), and {@code Storage.unwrap} of a read-only data
 * source.
 */
class PostgresIndexTest extends IndexContract {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return Pg.config(POSTGRES.server()).build();
    }

    @Test
    @DisplayName("unwrap(DataSource.class): EXPLAIN and reads work, a write fails read-only (25006), "
            + "the storage keeps working and refuses new connections once closed")
    void unwrapReadOnlyDataSource() throws SQLException {
        String store = tag + "uw";
        KitAssertions.await(storage.store(store, Codec.utf8()).put(Item.of("a", "b", "c")));
        DataSource ds = storage.unwrap(DataSource.class);
        String table = "public.\"polystore_" + store + "\"";
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("EXPLAIN SELECT payload FROM " + table
                    + " WHERE pk = 'a'::bytea AND sk = 'b'::bytea")) {
                assertTrue(rs.next(), "a query plan");
            }
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
                assertTrue(rs.next());
                assertEquals(1, rs.getLong(1));
            }
            SQLException write = assertThrows(SQLException.class, () -> st.executeUpdate("DELETE FROM " + table));
            assertEquals("25006", write.getSQLState(), "read-only transaction: " + write.getMessage());
        }
        assertEquals("c", KitAssertions.await(storage.store(store, Codec.utf8()).get("a", "b")).orElseThrow().value(),
                "the item is still there");
        storage.close();
        assertThrows(SQLException.class, ds::getConnection, "no new connection after the storage closed");
        assertThrows(UnavailableException.class, () -> storage.unwrap(DataSource.class));
    }
}
