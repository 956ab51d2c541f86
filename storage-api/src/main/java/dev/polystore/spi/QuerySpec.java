package dev.polystore.spi;

import dev.polystore.Direction;
import dev.polystore.KeyRange;
import java.util.Objects;

/**
 * A query of one partition as a backend receives it.
 *
 * @param table the table (store name)
 * @param pk the partition
 * @param range which sort keys; compare by UTF-8 bytes, prefix characters literal
 * @param limit return at most this many items (1 to 1000)
 * @param direction sort-key order
 * @param exclusiveStartSk resume strictly after this sort key (in {@code direction}), or null
 *                         to start at the beginning of the range
 */
public record QuerySpec(String table, String pk, KeyRange range, int limit, Direction direction,
                        String exclusiveStartSk) {
    public QuerySpec {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(pk, "pk");
        Objects.requireNonNull(range, "range");
        Objects.requireNonNull(direction, "direction");
    }
}
