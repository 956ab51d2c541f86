package dev.polystore.spi;

import dev.polystore.Key;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * A backend's native store of secondary-index entries ({@link dev.polystore.Capability#NATIVE_INDEXES}),
 * returned by {@link StorageBackend#indexAccelerator()}. Optional: without it the API keeps every
 * index as items of the store (an entry item under {@code ~ix/<index>/<key>} that copies the
 * item), which is the reference this hook must answer exactly like.
 *
 * <p><b>What an entry is.</b> The API computes every entry itself (index keys come from the
 * application's functions): an entry has an <em>entry key</em> ({@code pk} = {@code ~ix/<index>/<index key>},
 * {@code sk} = the entry sort key, {@code =} for a unique index) and names the <em>item</em> it
 * stands for, in the same table, with the item's expiry. The accelerator stores only that (no
 * copy of the payload: the point of the hook) and answers a query of one entry partition with
 * the <em>items</em> its live entries name, read from the item rows in the same read: an entry
 * is live while its own expiry has not passed (by the backend's clock) and its item exists and
 * is unexpired. Entry sort keys compare by UTF-8 bytes, like sort keys.
 *
 * <p><b>Same transaction.</b> {@link #transact} applies the item operations exactly as
 * {@link StorageBackend#transact} does, and the entry writes, all in <em>one</em> engine
 * transaction: all or nothing, checked atomically. The operations' conditions are checked
 * before the entries' (when several fail, the failure names the first operation that fails, as
 * the portable transaction of items and entry items would). Entry writes are applied after the
 * operations, deletes before puts, in list order. A unique entry ({@link EntryWrite.Put#unique()})
 * is claimed: it fails the whole transaction with {@link dev.polystore.ConditionFailedException}
 * whose operation index is {@code operations.size() + } the entry's index in {@code entries}
 * when a live entry with that key names another item; otherwise it is written (an expired one,
 * or one naming the same item, is replaced). A non-unique put replaces the entry at its key. A
 * delete removes the entry at its key if it names the given item (otherwise nothing).
 *
 * <p><b>Which engine holds entries.</b> {@link #prepareEntries} returns an identifier of the place
 * the entries of a table live (for SQL engines: a random id stored with the entry table when it
 * is created). The API records it in the store's index catalog, so that a store copied to
 * another engine (whose item copy does not carry native entries) is seen there as not built.
 * It must stay the same for as long as the entries it names are kept, and change whenever they
 * are lost or created anew.
 *
 * <p>Thread-safe; futures complete with {@link dev.polystore.StoreException}s like every SPI
 * method. The testkit's {@code NativeIndexContract} and {@code IndexContract} check all of this.
 */
public interface IndexAccelerator {

    /**
     * Makes the native entries of {@code table} ready (creates the engine's entry table and index
     * if need be); called once per table before any other method names it, idempotent.
     *
     * @return the identifier of the entries' place (ASCII, at most 64 characters), see above
     */
    CompletableFuture<String> prepareEntries(String table);

    /**
     * Applies {@code operations} (as {@link StorageBackend#transact} would) and {@code entries}
     * in one engine transaction. {@code operations} is not empty; the item keys and the entry
     * keys are distinct within their lists. Limits are checked by the API (on the portable
     * equivalent, so the same write fits every backend).
     *
     * @return per operation, the new version of a put, 0 for deletes and checks
     */
    CompletableFuture<List<Long>> transact(List<WriteOp> operations, List<EntryWrite> entries);

    /**
     * One page of an entry partition: {@code query.pk()} is the entry partition key,
     * {@code query.range()} and {@code query.exclusiveStartSk()} select entry sort keys, and the
     * page holds the <em>items</em> of the live entries, in entry-sort-key order, at most
     * {@code query.limit()}; {@link RawPage#lastEvaluatedSk()} is the entry sort key of the last
     * item when more entries may follow (null when the partition is done).
     */
    CompletableFuture<RawPage> query(QuerySpec query);

    /** A write of one native entry, inside {@link #transact}. */
    sealed interface EntryWrite {
        /** The indexed table (the item's). */
        String table();

        /** The entry's key: {@code ~ix/<index>/<index key>} and the entry sort key. */
        Key entry();

        /** The item the entry names. */
        Key item();

        /**
         * Writes the entry; a unique one is claimed (see {@link IndexAccelerator}).
         *
         * @param expiresAt the item's expiry (whole seconds), or null
         */
        record Put(String table, Key entry, Key item, Instant expiresAt, boolean unique) implements EntryWrite {
            public Put {
                Objects.requireNonNull(table, "table");
                Objects.requireNonNull(entry, "entry");
                Objects.requireNonNull(item, "item");
            }
        }

        /** Removes the entry if it names {@code item}. */
        record Delete(String table, Key entry, Key item) implements EntryWrite {
            public Delete {
                Objects.requireNonNull(table, "table");
                Objects.requireNonNull(entry, "entry");
                Objects.requireNonNull(item, "item");
            }
        }
    }
}
