package dev.polystore.sqlite;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Item;
import dev.polystore.StorageConfig;
import dev.polystore.testkit.KitAssertions;
import dev.polystore.testkit.index.Doc;
import dev.polystore.testkit.index.NativeIndexContract;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The native index hook on SQLite: an entry table with a real index, joined back to the item rows. */
class SqliteNativeIndexContractTest extends NativeIndexContract {
    @Override
    protected StorageConfig config(Path tempDir) {
        return StorageConfig.builder()
                .backend("sqlite")
                .set("sqlite.path", tempDir.resolve("t.db").toString())
                .build();
    }

    @Test
    @DisplayName("an index query seeks the entry table's primary key and each item by the item table's primary key")
    void queryPlanUsesBothPrimaryKeys() throws SQLException {
        String store = tag + "qp";
        KitAssertions.await(storage.store(store, Doc.CODEC, Doc.OPTIONS)
                .put(Item.of("a", "0", new Doc("open", "1", List.of(), null, ""))));
        NativeIndexes.Select select = NativeIndexes.query(store, "~ix/byStatus/open", dev.polystore.KeyRange.all(),
                dev.polystore.Direction.ASCENDING, null, 0, 10);
        String sql = select.sql();
        for (Object p : select.parameters()) {
            sql = sql.replaceFirst("\\?", p instanceof String s ? "'" + s + "'" : String.valueOf(p));
        }
        StringBuilder plan = new StringBuilder();
        DataSource ds = storage.unwrap(DataSource.class);
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("EXPLAIN QUERY PLAN " + sql)) {
            while (rs.next()) {
                plan.append(rs.getString("detail")).append('\n');
            }
        }
        String p = plan.toString();
        assertTrue(p.contains("SEARCH e USING PRIMARY KEY (epk=?)"), p);
        assertTrue(p.contains("SEARCH t USING INDEX sqlite_autoindex_store_" + store + "_1 (pk=? AND sk=?)"), p);
        assertTrue(!p.contains("SCAN"), p);
    }
}
