package dev.polystore;

import java.util.Objects;
import java.util.Optional;

/**
 * A query of one partition: which sort keys ({@link KeyRange}), how many per page, in which
 * order, and where to resume. Immutable; every {@code with…} method returns a copy.
 *
 * <pre>{@code
 * Query q = Query.partition("user#42").prefix("order#").limit(50).descending();
 * Page<Order> page = orders.query(q).join();
 * Page<Order> next = orders.query(q.after(page.cursor().orElseThrow())).join();
 * }</pre>
 *
 * <p>Defaults: every sort key, {@value Limits#DEFAULT_PAGE_SIZE} items per page, ascending.
 */
public final class Query {
    private final String pk;
    private final KeyRange range;
    private final int limit;
    private final Direction direction;
    private final String cursor;

    private Query(String pk, KeyRange range, int limit, Direction direction, String cursor) {
        this.pk = pk;
        this.range = range;
        this.limit = limit;
        this.direction = direction;
        this.cursor = cursor;
    }

    /** A query of every item in partition {@code pk}. */
    public static Query partition(String pk) {
        return new Query(Objects.requireNonNull(pk, "pk"), KeyRange.all(), Limits.DEFAULT_PAGE_SIZE,
                Direction.ASCENDING, null);
    }

    public Query range(KeyRange newRange) {
        return new Query(pk, Objects.requireNonNull(newRange, "range"), limit, direction, cursor);
    }

    /** Shorthand for {@code range(KeyRange.prefix(prefix))}. */
    public Query prefix(String prefix) {
        return range(KeyRange.prefix(prefix));
    }

    /**
     * Shorthand for {@code range(KeyRange.between(from, to))}, both bounds inclusive; a query with
     * {@code from} after {@code to} fails with {@link ValidationException} (see
     * {@link KeyRange#between}).
     */
    public Query between(String from, String to) {
        return range(KeyRange.between(from, to));
    }

    /**
     * At most {@code n} items per page, 1 to {@value Limits#MAX_PAGE_SIZE}.
     *
     * @throws ValidationException if {@code n} is out of range
     */
    public Query limit(int n) {
        if (n < 1 || n > Limits.MAX_PAGE_SIZE) {
            throw new ValidationException("query limit must be between 1 and " + Limits.MAX_PAGE_SIZE + ", got " + n);
        }
        return new Query(pk, range, n, direction, cursor);
    }

    public Query direction(Direction newDirection) {
        return new Query(pk, range, limit, Objects.requireNonNull(newDirection, "direction"), cursor);
    }

    public Query descending() {
        return direction(Direction.DESCENDING);
    }

    public Query ascending() {
        return direction(Direction.ASCENDING);
    }

    /**
     * Resume after the page whose {@link Page#cursor()} this is; {@code null} starts from the
     * beginning. The limit may change between pages; nothing else may.
     *
     * <p>Pass the cursor back exactly as the page returned it. It resumes only the query (store,
     * partition, range and direction) whose page produced it, on any backend and in any process
     * whose storage has the same {@code cursor_secret} (see {@link Page}). The query's future
     * fails with {@link ValidationException}, and nothing is read, for any other string: a
     * malformed, truncated, re-encoded or otherwise altered cursor, another query's cursor, or
     * one sealed under another secret.
     */
    public Query after(String pageCursor) {
        return new Query(pk, range, limit, direction, pageCursor);
    }

    public String pk() {
        return pk;
    }

    public KeyRange range() {
        return range;
    }

    public int limit() {
        return limit;
    }

    public Direction direction() {
        return direction;
    }

    public Optional<String> cursor() {
        return Optional.ofNullable(cursor);
    }

    /** Names the partition and range; never shows the cursor, which may be secret. */
    @Override
    public String toString() {
        return "Query{pk=" + pk + ", range=" + range + ", limit=" + limit + ", " + direction
                + (cursor == null ? "" : ", after a cursor") + "}";
    }
}
