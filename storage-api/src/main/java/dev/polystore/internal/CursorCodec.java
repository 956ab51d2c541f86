package dev.polystore.internal;

import dev.polystore.Direction;
import dev.polystore.KeyRange;
import dev.polystore.ValidationException;

/**
 * Turns the sort key a page ended at into the opaque cursor a {@link dev.polystore.Page} hands
 * out, and back. The API layer's seam for cursors: {@link Cursors} is the one every
 * {@link DefaultStorage} uses unless a test passes another (the kit's self-test plugs in a
 * deliberately lax one to show its cursor fuzz catches it).
 *
 * <p>Implementations are thread-safe.
 */
public interface CursorCodec {

    /** The cursor that resumes the query (store, partition, range, direction) after {@code lastSk}. */
    String encode(String table, String pk, KeyRange range, Direction direction, String lastSk);

    /**
     * The sort key to resume after.
     *
     * @throws ValidationException if {@code cursor} is not exactly a cursor {@link #encode} returned
     *                             for this query (store, partition, range, direction)
     */
    String decode(String cursor, String table, String pk, KeyRange range, Direction direction);
}
