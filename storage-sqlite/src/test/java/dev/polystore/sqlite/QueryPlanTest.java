package dev.polystore.sqlite;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Direction;
import dev.polystore.KeyRange;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every statement on a request path is an index search in key order: no scan, no sort, no LIKE. */
class QueryPlanTest {
    @TempDir
    Path dir;

    @Test
    void queriesAreRangeSearchesOnThePrimaryKey() throws Exception {
        try (Connection c = Sqlite.raw(dir.resolve("plan.db")); Statement s = c.createStatement()) {
            s.execute(Sql.createItemTable("kit"));
            s.execute(Sql.createExpiryIndex("kit"));
            List<KeyRange> ranges = List.of(KeyRange.all(), KeyRange.prefix("a%_"), KeyRange.between("a", "b"),
                    KeyRange.atLeast("a"), KeyRange.atMost("b"));
            for (KeyRange range : ranges) {
                for (Direction direction : Direction.values()) {
                    for (String start : new String[] {null, "a1"}) {
                        Sql.Select q = Sql.query("kit", "p", range, direction, start, 100, 10);
                        assertFalse(q.sql().contains("LIKE"), q.sql());
                        String plan = plan(c, q.sql(), q.parameters());
                        String what = range + " " + direction + " after " + start + ": " + plan;
                        assertTrue(plan.contains("SEARCH store_kit USING INDEX sqlite_autoindex_store_kit_1 (pk=?"), what);
                        assertFalse(plan.contains("TEMP B-TREE"), "no sort step: " + what);
                        assertFalse(plan.contains("SCAN"), "no scan: " + what);
                        if (!(range instanceof KeyRange.All) || start != null) {
                            assertTrue(plan.contains("sk>") || plan.contains("sk<"), "the range bounds the search: " + what);
                        }
                    }
                }
            }
            assertTrue(plan(c, Sql.TableSql.of("kit").selectItem(), List.of("p", "a"))
                    .contains("(pk=? AND sk=?)"));
            assertTrue(plan(c, Sql.purgeExpired("kit"), List.of(1L, 500L)).contains("USING COVERING INDEX store_kit_expiry"));
        }
    }

    private static String plan(Connection c, String sql, List<Object> params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN QUERY PLAN " + sql)) {
            for (int i = 0; i < params.size(); i++) {
                ps.setObject(i + 1, params.get(i));
            }
            StringBuilder plan = new StringBuilder();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    plan.append(rs.getString(4)).append("; ");
                }
            }
            return plan.toString();
        }
    }
}
