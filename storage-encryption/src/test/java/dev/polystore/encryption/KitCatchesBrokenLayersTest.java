package dev.polystore.encryption;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.opentest4j.AssertionFailedError;

/** The kit and the tamper suite are themselves tested: each broken layer must make them fail. */
class KitCatchesBrokenLayersTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("a layer that returns ciphertext on reads fails the core contract")
    void returnsCiphertext() {
        List<Event> failed = EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(BrokenLayers.ReturnsCiphertextRun.class))
                .execute().testEvents().failed().list();
        assertTrue(failed.size() >= 10, "the kit passed a layer that returns ciphertext: " + failed.size() + " failures");
    }

    @Test
    @DisplayName("a layer whose ciphertexts are not bound to store and key fails the tamper suite (swaps accepted)")
    void unboundAssociatedData() throws Exception {
        StorageConfig config = StorageConfig.builder().backend("sqlite").set("sqlite.path", dir.resolve("t.db").toString()).build();
        try (Storage storage = StoreFactory.open(config, BrokenLayers::unbound)) {
            SqliteTamperTest outer = new SqliteTamperTest();
            outer.dir = dir;
            AssertionFailedError e = assertThrows(AssertionFailedError.class,
                    () -> new TamperSuite(storage, outer.new Jdbc()).run("sqlite without associated data", "u#"));
            assertTrue(e.getMessage().contains("an altered item"), e.getMessage());
        }
    }
}
