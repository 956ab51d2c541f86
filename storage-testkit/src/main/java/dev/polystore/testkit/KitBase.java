package dev.polystore.testkit;

import dev.polystore.Capability;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import dev.polystore.spi.StorageBackend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lifecycle every contract suite shares ({@link StorageContract}, the domain-store and
 * reliability contracts): opens a {@link Storage} with a {@link MutableClock} before each test
 * and closes it after.
 *
 * <p><b>Implementors must provide</b> {@link #config(Path)}: the configuration of the backend
 * under test. Each test gets a fresh temporary directory; the storage may be shared with other
 * tests (a DynamoDB Local server, say): every test uses partition keys and names unique to it.
 *
 * <p><b>Implementors may override</b> {@link #open(StorageConfig)} to build the storage another
 * way than {@link StoreFactory#open(StorageConfig)} (which also tests discovery through
 * {@code META-INF/services}), and {@link #afterClose()} to check or clean up after a storage is
 * closed. Backends must decide expiry by the clock the kit installs with
 * {@link StorageConfig#withClock}.
 */
public abstract class KitBase {
    /** The storage under test, opened before each test. */
    protected Storage storage;
    /** The clock the storage decides expiry by; tests move it. */
    protected MutableClock clock;
    /** Lower-case letters and digits unique to the current test, for names. */
    protected String tag;
    /** A prefix unique to the current test, for partition keys. */
    protected String run;

    @TempDir
    protected Path tempDir;

    private final List<Storage> alsoOpen = new ArrayList<>();

    /** The configuration of the backend under test; {@code tempDir} is empty and private to this test. */
    protected abstract StorageConfig config(Path tempDir) throws Exception;

    /** Opens the storage under test; by default through {@link StoreFactory}, so discovery is tested too. */
    protected Storage open(StorageConfig config) throws Exception {
        return StoreFactory.open(config);
    }

    /**
     * Bytes a layer under test adds to every item's payload (an encrypting layer's nonce, tag and
     * key id), which the portable size limit counts: the kit's largest items are smaller by this
     * much. 0 by default (no layer, or one that stores payloads as they are).
     */
    protected int layerOverheadBytes() {
        return 0;
    }

    /** Called after the storage of a test is closed. */
    protected void afterClose() throws Exception {
    }

    @BeforeEach
    void openKitStorage() throws Exception {
        clock = MutableClock.startingNow();
        tag = "k" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        run = "kit-" + tag + "#";
        storage = open(config(tempDir).withClock(clock));
    }

    @AfterEach
    void closeKitStorage() throws Exception {
        for (int i = alsoOpen.size() - 1; i >= 0; i--) {
            alsoOpen.get(i).close();
        }
        alsoOpen.clear();
        if (storage != null) {
            storage.close();
            afterClose();
        }
    }

    /**
     * Opens a second storage on the same configuration and clock with the backend wrapped by
     * {@code wrap} (e.g. a {@link dev.polystore.spi.ForwardingStorageBackend} that hides a
     * capability), closed after the test. For persistent backends it sees the test's data; for
     * memory it is a separate, empty engine. Implementors that override {@link #open(StorageConfig)}
     * override this too, so the second storage reaches the same engine.
     */
    protected Storage openAlso(UnaryOperator<StorageBackend> wrap) throws Exception {
        return closeAfterTest(StoreFactory.open(config(tempDir).withClock(clock), wrap));
    }

    /** Closes {@code other} after the test, before the test's own storage. */
    protected Storage closeAfterTest(Storage other) {
        alsoOpen.add(other);
        return other;
    }

    /** Closes the storage of this test and opens it again with the same configuration and clock. */
    protected void reopen() throws Exception {
        storage.close();
        storage = open(config(tempDir).withClock(clock));
    }

    /** A partition key unique to this test. */
    protected String pk(String name) {
        return run + name;
    }

    /** Skips the calling test, naming the capability, if the backend does not declare it. */
    protected void assumeCapability(Capability capability) {
        Assumptions.assumeTrue(storage.capabilities().has(capability),
                () -> "backend '" + storage.backend() + "' does not declare capability " + capability);
    }

    /** Skips the calling test, naming the capability, if the backend declares it. */
    protected void assumeNoCapability(Capability capability) {
        Assumptions.assumeFalse(storage.capabilities().has(capability),
                () -> "backend '" + storage.backend() + "' declares capability " + capability
                        + "; its negative test does not apply");
    }
}
