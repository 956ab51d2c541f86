package dev.polystore.spi;

/**
 * A backend's native wake-up hook for event subscribers ({@link dev.polystore.Capability#CHANGE_NOTIFICATIONS}),
 * returned by {@link StorageBackend#changeNotifier()}, beside {@link SearchIndex}. Optional:
 * without it a subscription learns of new events by polling the stream's partition at its poll
 * interval, which is also what it does when a notification is lost. A notifier only makes live
 * delivery quicker; it never carries data, and nothing may depend on it for correctness.
 *
 * <p><b>What a backend promises.</b> After a write to partition {@code pk} of {@code table}
 * (through any SPI method: put, delete, transact, batchWrite) has committed and is visible to
 * every later read, the listeners registered for that {@code (table, pk)} are called, soon. They
 * may be called late, several writes may be coalesced into one call, a call may be spurious
 * (no visible change), and a call may be lost (a dropped connection, a full queue): subscribers
 * re-read the partition and keep polling. A call must never come <em>before</em> the write it
 * announces is visible, or a subscriber would read, find nothing and sleep until its next poll.
 * Writes by other processes sharing the engine should be announced where the engine can
 * (PostgreSQL {@code LISTEN/NOTIFY}, DynamoDB Streams); announcing only this process's own writes
 * is allowed (the in-memory backend does, having no other process), and must be documented.
 *
 * <p><b>Listeners</b> return quickly and do not throw (a backend ignores what one throws); they
 * are called on a thread of the backend's choosing, never while the backend holds a lock that
 * another SPI call may need.
 *
 * <p>Thread-safe: {@link #listen} and {@link Registration#close()} may be called from any thread,
 * concurrently with writes.
 */
public interface ChangeNotifier {

    /**
     * Calls {@code listener} after committed writes to partition {@code pk} of {@code table},
     * until the registration is closed. Registering twice registers two listeners.
     *
     * @param table a table name the API layer has prepared
     * @param pk the partition key to watch
     * @param listener called with no argument: "something may have changed, read again"
     * @return closes the registration; idempotent
     */
    Registration listen(String table, String pk, Runnable listener);

    /** An active {@link #listen} registration. */
    interface Registration extends AutoCloseable {
        /** Stops calls to the listener (a call already under way may still finish). Idempotent; never throws. */
        @Override
        void close();
    }
}
