package dev.polystore.spi;

import dev.polystore.Condition;
import dev.polystore.Key;
import java.time.Instant;
import java.util.Objects;

/**
 * One write a backend is asked to perform, alone or inside a transaction or batch. The API
 * layer has already validated keys, table names, sizes and limits before a backend sees one.
 */
public sealed interface WriteOp {
    /** The table (store name) written. */
    String table();

    Key key();

    Condition condition();

    /**
     * Writes the item; its new version is 1 if there was no (unexpired) item, else the
     * previous version + 1.
     *
     * @param expiresAt whole seconds, or null if the item never expires
     */
    record Put(String table, Key key, byte[] payload, Instant expiresAt, Condition condition) implements WriteOp {
        public Put {
            Objects.requireNonNull(table, "table");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(payload, "payload");
            Objects.requireNonNull(condition, "condition");
        }
    }

    /** Deletes the item; the condition is none, if exists or if version. */
    record Delete(String table, Key key, Condition condition) implements WriteOp {
        public Delete {
            Objects.requireNonNull(table, "table");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(condition, "condition");
        }
    }

    /** Writes nothing; only inside transactions, where its condition must hold. */
    record Check(String table, Key key, Condition condition) implements WriteOp {
        public Check {
            Objects.requireNonNull(table, "table");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(condition, "condition");
        }
    }
}
