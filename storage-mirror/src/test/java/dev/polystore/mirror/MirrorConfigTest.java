package dev.polystore.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.ConfigurationException;
import dev.polystore.Health;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening a mirror by name: keys, what bad values say, and the repair log on disk. */
class MirrorConfigTest {
    @TempDir
    Path dir;

    private ConfigurationException refused(StorageConfig config) {
        return assertThrows(ConfigurationException.class, () -> StoreFactory.open(config).close());
    }

    @Test
    @DisplayName("primary and secondary are required, named as provider or provider:section")
    void badValuesNameTheKey() {
        StorageConfig none = StorageConfig.builder().backend("mirror").set("mirror.secondary", "memory").build();
        assertTrue(refused(none).getMessage().contains("storage.mirror.primary is not set"));
        StorageConfig bad = StorageConfig.builder().backend("mirror").set("mirror.primary", "SQLite!")
                .set("mirror.secondary", "memory").build();
        assertTrue(refused(bad).getMessage().contains("storage.mirror.primary = \"SQLite!\""));
        StorageConfig same = StorageConfig.builder().backend("mirror").set("mirror.primary", "memory")
                .set("mirror.secondary", "memory").build();
        assertTrue(refused(same).getMessage().contains("both name [storage.memory]"));
        StorageConfig self = StorageConfig.builder().backend("mirror").set("mirror.primary", "mirror")
                .set("mirror.secondary", "memory").build();
        assertTrue(refused(self).getMessage().contains("cannot be built over itself"));
        StorageConfig typo = StorageConfig.builder().backend("mirror").set("mirror.primary", "memory")
                .set("mirror.secondary", "sqlite").set("mirror.repair_intervall_ms", "5").build();
        assertTrue(refused(typo).getMessage().contains("storage.mirror.repair_intervall_ms"));
        StorageConfig unknown = StorageConfig.builder().backend("mirror").set("mirror.primary", "nosuch")
                .set("mirror.secondary", "memory").build();
        assertTrue(refused(unknown).getMessage().contains("\"nosuch\""));
    }

    @Test
    @DisplayName("the sections' own keys are checked under their own names")
    void sectionKeysCheckedByTheirProvider() {
        StorageConfig c = StorageConfig.builder().backend("mirror").set("mirror.primary", "memory")
                .set("mirror.secondary", "sqlite:next").set("next.pathh", dir.resolve("x.db").toString())
                .set("mirror.repair_log", dir.resolve("r.log").toString()).build();
        assertTrue(refused(c).getMessage().contains("storage.next.pathh"), "names the key in its section");
    }

    @Test
    @DisplayName("two engines of one provider side by side; health reports both and the repair log")
    void sameProviderTwice() throws Exception {
        StorageConfig c = StorageConfig.builder().backend("mirror")
                .set("mirror.primary", "sqlite:old").set("mirror.secondary", "sqlite:new")
                .set("old.path", dir.resolve("old.db").toString()).set("new.path", dir.resolve("new.db").toString())
                .set("mirror.repair_log", dir.resolve("r.log").toString()).build();
        try (Storage s = StoreFactory.open(c)) {
            assertEquals("mirror", s.backend());
            s.store("things", String.class).put(Item.of("a", "b", "c")).get(30, TimeUnit.SECONDS);
            Health h = s.health().get(30, TimeUnit.SECONDS);
            assertTrue(h.healthy(), h.toString());
            assertEquals("0", h.details().get("pending_repairs"));
            assertEquals("sqlite", h.details().get("secondary"));
        }
        try (Storage next = StoreFactory.open(StorageConfig.builder().backend("sqlite")
                .set("sqlite.path", dir.resolve("new.db").toString()).build())) {
            assertEquals("c", next.store("things", String.class).get("a", "b").get(30, TimeUnit.SECONDS)
                    .orElseThrow().value(), "the secondary got the write");
        }
        assertEquals(RepairLog.HEADER, Files.readAllLines(dir.resolve("r.log")).get(0));
    }

    @Test
    @DisplayName("the provider cannot be opened without StoreFactory's opener")
    void needsTheOpener() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> new MirrorStorageProvider()
                .open(new dev.polystore.spi.ProviderContext(new dev.polystore.spi.ConfigSection("storage.mirror",
                        java.util.Map.of()), java.time.Clock.systemUTC())));
        assertTrue(e.getMessage().contains("StoreFactory"));
    }
}
