package dev.polystore.testkit.domain;

import dev.polystore.Capability;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import dev.polystore.testkit.MutableClock;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the domain-store contract suites, mirroring {@link dev.polystore.testkit.StorageContract}'s
 * lifecycle (without its core tests): opens a {@link Storage} through {@link StoreFactory} with
 * a {@link MutableClock} before each test and closes it after.
 *
 * <p><b>Implementors must provide</b> {@link #config(Path)}: the configuration of the backend
 * under test; {@code tempDir} is empty and private to the test. The storage may be shared
 * between tests (one DynamoDB Local table, say): every test names its dialogues, and words of
 * its documents, with a tag unique to it.
 *
 * <p><b>Implementors may override</b> {@link #afterClose()} to check or clean up after a
 * storage is closed, and {@link #open(StorageConfig)} to build the storage another way than
 * {@link StoreFactory#open(StorageConfig)} (the kit's own self-tests use it to run the suites on
 * deliberately broken backends).
 */
public abstract class DomainContract {
    /** The storage under test, opened before each test. */
    protected Storage storage;
    /** The storage's clock; tests move it. */
    protected MutableClock clock;
    /** Lower-case letters and digits unique to the current test. */
    protected String tag;

    @TempDir
    protected Path tempDir;

    /** The configuration of the backend under test. */
    protected abstract StorageConfig config(Path tempDir) throws Exception;

    /** Opens the storage under test; by default through {@link StoreFactory}, so discovery is tested too. */
    protected Storage open(StorageConfig config) throws Exception {
        return StoreFactory.open(config);
    }

    /** Called after the storage of a test is closed. */
    protected void afterClose() throws Exception {
    }

    @BeforeEach
    void openDomainStorage() throws Exception {
        clock = MutableClock.startingNow();
        tag = "k" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        storage = open(config(tempDir).withClock(clock));
    }

    @AfterEach
    void closeDomainStorage() throws Exception {
        if (storage != null) {
            storage.close();
            afterClose();
        }
    }

    /** Skips the calling test, naming the capability, if the backend does not declare it. */
    protected void assumeCapability(Capability capability) {
        Assumptions.assumeTrue(storage.capabilities().has(capability),
                () -> "backend '" + storage.backend() + "' does not declare capability " + capability
                        + ", which the domain stores require");
    }

    /** Skips the calling test, naming the capability, if the backend declares it. */
    protected void assumeNoCapability(Capability capability) {
        Assumptions.assumeFalse(storage.capabilities().has(capability),
                () -> "backend '" + storage.backend() + "' declares capability " + capability
                        + "; its negative test does not apply");
    }
}
