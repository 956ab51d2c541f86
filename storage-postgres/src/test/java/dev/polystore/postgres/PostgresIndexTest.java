package dev.polystore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.Key;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The index contract on a real PostgreSQL, the whole-table read of index builds, and
 * {@code Storage.unwrap} of a read-only data source.
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

    @Test
    @DisplayName("the segment read of index builds returns every live item once, in key order, across pages of 1 to 7")
    void segmentReadInKeyOrder() {
        StorageConfig config = config(null);
        String store = tag + "seg";
        try (PostgresBackend backend = Pg.backend(config, java.util.Map.of())) {
            Pg.await(backend.prepareTable(store));
            List<Key> keys = new ArrayList<>();
            for (String pk : List.of("b", "a", "é", "a/x", "~ix/by/1", "z")) {
                for (String sk : List.of("2", "1", "")) {
                    keys.add(new Key(pk, sk));
                    Pg.await(backend.put(new dev.polystore.spi.WriteOp.Put(store, new Key(pk, sk),
                            (pk + sk).getBytes(java.nio.charset.StandardCharsets.UTF_8), null, dev.polystore.Condition.none())));
                }
            }
            // one expired item, never returned
            Pg.await(backend.put(new dev.polystore.spi.WriteOp.Put(store, new Key("m", "gone"), new byte[] {1},
                    java.time.Instant.now().minus(Duration.ofHours(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS), dev.polystore.Condition.none())));
            List<Key> expected = new ArrayList<>(keys);
            expected.sort((x, y) -> {
                int c = dev.polystore.spi.SortKeys.compare(dev.polystore.spi.SortKeys.utf8(x.pk()),
                        dev.polystore.spi.SortKeys.utf8(y.pk()));
                return c != 0 ? c : dev.polystore.spi.SortKeys.compare(dev.polystore.spi.SortKeys.utf8(x.sk()),
                        dev.polystore.spi.SortKeys.utf8(y.sk()));
            });
            var reader = backend.segmentReader().orElseThrow();
            assertEquals(1, reader.segments(store));
            for (int limit = 1; limit <= 7; limit++) {
                List<Key> read = new ArrayList<>();
                String position = null;
                do {
                    var page = Pg.await(reader.read(store, 0, 1, position, limit));
                    assertTrue(page.items().size() <= limit);
                    page.items().forEach(i -> read.add(i.key()));
                    position = page.next();
                } while (position != null);
                assertEquals(expected, read, "pages of " + limit);
            }
            var whole = Pg.await(reader.read(store, 0, 1, null, 1000));
            assertNull(whole.next());
            assertFalse(whole.items().stream().anyMatch(i -> i.key().pk().equals("m")), "the expired item is not read");
            assertThrows(dev.polystore.ValidationException.class, () -> Pg.await(reader.read(store, 0, 1, "AA", 10)));
        }
    }
}
