package dev.polystore.spi;

import java.util.List;

/**
 * A backend's answer to a {@link QuerySpec}.
 *
 * @param items unexpired items in the query's order, at most its limit
 * @param lastEvaluatedSk the sort key to resume after if more items may follow, else null. It
 *                        may be the key of an item not returned (an expired one), and a page
 *                        may be empty while it is set.
 */
public record RawPage(List<RawItem> items, String lastEvaluatedSk) {
    public RawPage {
        items = List.copyOf(items);
    }
}
