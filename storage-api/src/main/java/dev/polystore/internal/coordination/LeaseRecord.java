package dev.polystore.internal.coordination;

/**
 * The payload of a lease's record item ({@code pk lease#<name>, sk L}), JSON.
 *
 * @param owner the holder's owner label
 * @param holder random id of the acquisition that wrote it
 * @param fence the acquisition's token (a release keeps it; the fence item moves on to token + 1)
 * @param ttlMillis the holder's time-to-live
 * @param released whether the holder released it
 * @param writeId random id of this write, so that a writer recognizes its own write after a lost answer
 * @param acquiredAt the acquisition's wall-clock time, epoch milliseconds (informative)
 * @param writtenAt this write's wall-clock time, epoch milliseconds (informative)
 */
record LeaseRecord(String owner, String holder, long fence, long ttlMillis, boolean released, String writeId,
                   long acquiredAt, long writtenAt) {
}
