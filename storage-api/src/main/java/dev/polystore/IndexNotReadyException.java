package dev.polystore;

/**
 * A query of a secondary index that is not built yet ({@link IndexStatus.State#BUILDING}): the
 * index was declared on a store that already had items, and not all of them have entries yet.
 * Nothing was read. Run {@link Index#build()} (once, from any process); the index answers
 * queries when it completes.
 */
public class IndexNotReadyException extends StoreException {
    private static final long serialVersionUID = 1L;

    private final transient IndexStatus status;

    /** @param status the index's state when the query was refused */
    public IndexNotReadyException(IndexStatus status) {
        super("index '" + status.index() + "' of store '" + status.store() + "' is not built yet ("
                + status.segmentsDone() + " of " + status.segments() + " segments read, " + status.itemsRead()
                + " items): run Index.build() to index the items written before it was declared; it answers "
                + "queries when that completes");
        this.status = status;
    }

    /** The index's state when the query was refused. */
    public IndexStatus status() {
        return status;
    }
}
