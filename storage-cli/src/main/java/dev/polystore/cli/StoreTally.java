package dev.polystore.cli;

/**
 * What a copy or import did with one store. The counts must add up:
 * {@code read == written + kept + expired + rejected} ({@link #addsUp()}); the
 * {@code polystore} command exits non-zero when they do not.
 *
 * @param store the store
 * @param read items read from the source (live when read)
 * @param written items the target now holds exactly as read
 * @param kept items the target already held at the same or a higher version (an
 *             {@link dev.polystore.spi.ImportMode#IF_NEWER} import left them)
 * @param expired items that had expired by the target's clock when written (not written)
 * @param rejected items not written: listed in the reject file with why
 * @param expiredAtSource expired items the source's scan passed over (never read)
 * @param bytes payload bytes read
 * @param deleted items deleted on the target because the source lacks them (only with
 *                {@link CopyOptions#deleteExtra()}; in a dry run, the items that would be
 *                deleted); not part of the sum above
 */
public record StoreTally(String store, long read, long written, long kept, long expired, long rejected,
        long expiredAtSource, long bytes, long deleted) {

    /** A tally without deletions. */
    public StoreTally(String store, long read, long written, long kept, long expired, long rejected,
            long expiredAtSource, long bytes) {
        this(store, read, written, kept, expired, rejected, expiredAtSource, bytes, 0);
    }

    /** Whether {@code read == written + kept + expired + rejected}. */
    public boolean addsUp() {
        return read == written + kept + expired + rejected;
    }

    StoreTally plus(StoreTally o) {
        return new StoreTally(store, read + o.read, written + o.written, kept + o.kept, expired + o.expired,
                rejected + o.rejected, expiredAtSource + o.expiredAtSource, bytes + o.bytes, deleted + o.deleted);
    }

    StoreTally withDeleted(long n) {
        return new StoreTally(store, read, written, kept, expired, rejected, expiredAtSource, bytes, n);
    }

    static StoreTally empty(String store) {
        return new StoreTally(store, 0, 0, 0, 0, 0, 0, 0, 0);
    }
}
