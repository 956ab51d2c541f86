package dev.polystore.testkit.layers;

import dev.polystore.StorageConfig;
import dev.polystore.testkit.StorageContract;
import dev.polystore.testkit.coordination.EventStoreContract;
import dev.polystore.testkit.coordination.LeaseContract;
import dev.polystore.testkit.domain.DialogueStoreContract;
import dev.polystore.testkit.domain.DocumentStoreContract;
import dev.polystore.testkit.index.IndexContract;
import dev.polystore.testkit.migration.MigrationContract;
import dev.polystore.testkit.reliability.ReliabilityContract;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;

/**
 * Every contract family of the kit at once, against one configuration: the way to run the whole
 * kit through a layer (or a stack of layers) on any backend. A layer author subclasses it once per
 * backend with a configuration naming the backend and {@code storage.layers}:
 *
 * <pre>{@code
 * class EncryptedSqliteTest extends EveryContract {
 *     protected StorageConfig config(Path dir) {
 *         return StorageConfig.builder().backend("sqlite").set("sqlite.path", dir.resolve("t.db").toString())
 *                 .layers("encryption").set("encryption.keyset", ...).build();
 *     }
 * }
 * }</pre>
 *
 * <p><b>Implementors must provide</b> {@link #config(Path)} (as {@code KitBase.config}). <b>They
 * may override</b> {@link #layerOverheadBytes()} (bytes the layer adds to each payload, which the
 * size limit counts). An engine fixture (a JUnit extension) goes on
 * the subclass as a static {@code @RegisterExtension} field: nested families inherit it.
 */
public abstract class EveryContract {

    /** The configuration under test; {@code tempDir} is empty and private to the test. */
    protected abstract StorageConfig config(Path tempDir) throws Exception;

    /** Bytes the layers under test add to every payload; 0 by default. */
    protected int layerOverheadBytes() {
        return 0;
    }

    /** Whether the engine keeps data across close and open (false for memory); true by default. */
    protected boolean persistent() {
        return true;
    }

    /** Whether a child JVM opening {@link #config} reaches the same engine (false for memory); true by default. */
    protected boolean sharedAcrossProcesses() {
        return true;
    }

    @Nested
    @DisplayName("core contract")
    class Core extends StorageContract {
        @Override
        protected StorageConfig config(Path tempDir) throws Exception {
            return EveryContract.this.config(tempDir);
        }

        @Override
        protected boolean persistent() {
            return EveryContract.this.persistent();
        }

        @Override
        protected int layerOverheadBytes() {
            return EveryContract.this.layerOverheadBytes();
        }
    }

    @Nested
    @DisplayName("secondary indexes")
    class Indexes extends IndexContract {
        @Override
        protected StorageConfig config(Path tempDir) throws Exception {
            return EveryContract.this.config(tempDir);
        }

        @Override
        protected int layerOverheadBytes() {
            return EveryContract.this.layerOverheadBytes();
        }
    }

    @Nested
    @DisplayName("native index entries")
    class NativeIndexes extends dev.polystore.testkit.index.NativeIndexContract {
        @Override
        protected StorageConfig config(Path tempDir) throws Exception {
            return EveryContract.this.config(tempDir);
        }
    }

    @Nested
    @DisplayName("scan and import")
    class Migrations extends MigrationContract {
        @Override
        protected StorageConfig config(Path tempDir) throws Exception {
            return EveryContract.this.config(tempDir);
        }

        @Override
        protected int layerOverheadBytes() {
            return EveryContract.this.layerOverheadBytes();
        }
    }

    @Nested
    @DisplayName("document store")
    class Documents extends DocumentStoreContract {
        @Override
        protected StorageConfig config(Path tempDir) throws Exception {
            return EveryContract.this.config(tempDir);
        }
    }

    @Nested
    @DisplayName("dialogue store")
    class Dialogues extends DialogueStoreContract {
        @Override
        protected StorageConfig config(Path tempDir) throws Exception {
            return EveryContract.this.config(tempDir);
        }
    }

    @Nested
    @DisplayName("event store")
    class Events extends EventStoreContract {
        @Override
        protected StorageConfig config(Path tempDir) throws Exception {
            return EveryContract.this.config(tempDir);
        }

        @Override
        protected boolean sharedAcrossProcesses() {
            return EveryContract.this.sharedAcrossProcesses();
        }

    }

    @Nested
    @DisplayName("leases")
    class Leases extends LeaseContract {
        @Override
        protected StorageConfig config(Path tempDir) throws Exception {
            return EveryContract.this.config(tempDir);
        }

        @Override
        protected boolean sharedAcrossProcesses() {
            return EveryContract.this.sharedAcrossProcesses();
        }

    }

    @Nested
    @DisplayName("reliability")
    class Reliability extends ReliabilityContract {
        @Override
        protected StorageConfig config(Path tempDir) throws Exception {
            return EveryContract.this.config(tempDir);
        }

        @Override
        protected int layerOverheadBytes() {
            return EveryContract.this.layerOverheadBytes();
        }

    }
}
