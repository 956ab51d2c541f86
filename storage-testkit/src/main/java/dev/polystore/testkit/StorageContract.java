package dev.polystore.testkit;

import dev.polystore.Capability;
import dev.polystore.Codec;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the contract suites: opens a {@link Storage} through {@link StoreFactory} (so
 * discovery through {@code META-INF/services} is part of what is tested) before each test and
 * closes it after.
 *
 * <p><b>Implementors must provide</b> {@link #config(Path)}: the configuration of the backend
 * under test. Each test gets a fresh temporary directory; the storage may be shared with other
 * tests (a DynamoDB Local server, say): the kit uses a partition key prefix unique to each test.
 *
 * <p><b>Implementors may override</b> {@link #afterClose()} to check or clean up after a
 * storage is closed.
 *
 * <p>The kit installs a {@link MutableClock} with {@link StorageConfig#withClock}; backends
 * must decide expiry by that clock.
 */
public abstract class StorageContract {
    /** The storage under test, opened before each test. */
    protected Storage storage;
    /** The clock the storage decides expiry by; tests move it. */
    protected MutableClock clock;
    /** A prefix unique to the current test, for partition keys. */
    protected String run;

    @TempDir
    protected Path tempDir;

    /** The configuration of the backend under test; {@code tempDir} is empty and private to this test. */
    protected abstract StorageConfig config(Path tempDir) throws Exception;

    /** Called after the storage of a test is closed. */
    protected void afterClose() throws Exception {
    }

    @BeforeEach
    void openStorage() throws Exception {
        clock = MutableClock.startingNow();
        run = "kit-" + UUID.randomUUID() + "#";
        storage = StoreFactory.open(config(tempDir).withClock(clock));
    }

    @AfterEach
    void closeStorage() throws Exception {
        if (storage != null) {
            storage.close();
            afterClose();
        }
    }

    /** A partition key unique to this test. */
    protected String pk(String name) {
        return run + name;
    }

    /** The kit's store of UTF-8 strings. */
    protected Store<String> strings() {
        return storage.store("kit", Codec.utf8());
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
