package dev.polystore;

import java.util.Objects;
import java.util.Optional;

/**
 * A query of one key of a secondary index ({@link Index#query(IndexQuery)}): which sort keys
 * (a {@link KeyRange} over the index's sort key, for a {@linkplain IndexSpec#sorted() sorted}
 * index), how many items per page, in which order, and where to resume. Immutable and
 * thread-safe; every builder method returns a copy.
 *
 * <pre>{@code
 * IndexQuery q = IndexQuery.key("OPEN").prefix("2026-").limit(50).descending();
 * Page<Ticket> page = tickets.index("byStatus").query(q).join();
 * Page<Ticket> next = tickets.index("byStatus").query(q.after(page.cursor().orElseThrow())).join();
 * }</pre>
 *
 * <p>Results come in UTF-8 order of the sort key, then of the item key (partition key, then sort
 * key); an index without a sort key orders by item key only. Defaults: every item of the key,
 * {@value Limits#DEFAULT_PAGE_SIZE} items per page, ascending.
 */
public final class IndexQuery {
    private final String key;
    private final KeyRange range;
    private final int limit;
    private final Direction direction;
    private final String cursor;

    private IndexQuery(String key, KeyRange range, int limit, Direction direction, String cursor) {
        this.key = key;
        this.range = range;
        this.limit = limit;
        this.direction = direction;
        this.cursor = cursor;
    }

    /** A query of every item whose value has index key {@code key}. */
    public static IndexQuery key(String key) {
        return new IndexQuery(Objects.requireNonNull(key, "key"), KeyRange.all(), Limits.DEFAULT_PAGE_SIZE,
                Direction.ASCENDING, null);
    }

    /** Only items whose sort key is in {@code newRange}; needs a sorted index. */
    public IndexQuery range(KeyRange newRange) {
        return new IndexQuery(key, Objects.requireNonNull(newRange, "range"), limit, direction, cursor);
    }

    /** Shorthand for {@code range(KeyRange.prefix(prefix))}. */
    public IndexQuery prefix(String prefix) {
        return range(KeyRange.prefix(prefix));
    }

    /** Shorthand for {@code range(KeyRange.between(from, to))}, both bounds inclusive. */
    public IndexQuery between(String from, String to) {
        return range(KeyRange.between(from, to));
    }

    /**
     * At most {@code n} items per page, 1 to {@value Limits#MAX_PAGE_SIZE}.
     *
     * @throws ValidationException if {@code n} is out of range
     */
    public IndexQuery limit(int n) {
        if (n < 1 || n > Limits.MAX_PAGE_SIZE) {
            throw new ValidationException("query limit must be between 1 and " + Limits.MAX_PAGE_SIZE + ", got " + n);
        }
        return new IndexQuery(key, range, n, direction, cursor);
    }

    /** Results in {@code newDirection} of (sort key, item key). */
    public IndexQuery direction(Direction newDirection) {
        return new IndexQuery(key, range, limit, Objects.requireNonNull(newDirection, "direction"), cursor);
    }

    /** Shorthand for {@code direction(Direction.DESCENDING)}. */
    public IndexQuery descending() {
        return direction(Direction.DESCENDING);
    }

    /** Shorthand for {@code direction(Direction.ASCENDING)} (the default). */
    public IndexQuery ascending() {
        return direction(Direction.ASCENDING);
    }

    /**
     * Resume after the page whose {@link Page#cursor()} this is. A cursor only fits the query
     * (index, key, range, direction) that produced it; another query rejects it with
     * {@link ValidationException}. {@code null} starts from the beginning.
     */
    public IndexQuery after(String pageCursor) {
        return new IndexQuery(key, range, limit, direction, pageCursor);
    }

    /** The index key queried. */
    public String key() {
        return key;
    }

    /** The sort keys selected; {@link KeyRange#all()} by default. */
    public KeyRange range() {
        return range;
    }

    /** The most items per page. */
    public int limit() {
        return limit;
    }

    /** The order of results. */
    public Direction direction() {
        return direction;
    }

    /** Where the query resumes, if it does. */
    public Optional<String> cursor() {
        return Optional.ofNullable(cursor);
    }

    @Override
    public String toString() {
        return "IndexQuery{key=" + key + ", range=" + range + ", limit=" + limit + ", " + direction
                + (cursor == null ? "" : ", after=" + cursor) + "}";
    }
}
