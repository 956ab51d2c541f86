package dev.polystore.testkit.domain;

import dev.polystore.testkit.KitBase;
import dev.polystore.Capability;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import dev.polystore.testkit.MutableClock;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

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
public abstract class DomainContract extends KitBase {
    /** Skips the calling test, naming the capability, if the backend does not declare it. */
    @Override
    protected void assumeCapability(Capability capability) {
        Assumptions.assumeTrue(storage.capabilities().has(capability),
                () -> "backend '" + storage.backend() + "' does not declare capability " + capability
                        + ", which the domain stores require");
    }

    /** Skips the calling test, naming the capability, if the backend declares it. */
    @Override
    protected void assumeNoCapability(Capability capability) {
        Assumptions.assumeFalse(storage.capabilities().has(capability),
                () -> "backend '" + storage.backend() + "' declares capability " + capability
                        + "; its negative test does not apply");
    }
}
