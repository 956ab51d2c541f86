package dev.polystore.testkit.engines;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class EmbeddedEnginesTest {

    @Test
    @DisplayName("engines that run inside their backend start nothing and override nothing")
    void embeddedBackends() {
        for (String name : List.of("sqlite", "memory")) {
            try (EmbeddedEngine engine = EmbeddedEngines.start(name)) {
                assertEquals(name, engine.backend());
                assertEquals(java.util.Map.of(), engine.overrides());
            }
        }
    }

    @Test
    @DisplayName("an unknown engine name fails with the names there are")
    void unknown() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EmbeddedEngines.start("oracle"));
        assertTrue(e.getMessage().contains("[dynamodb, memory, postgres, redis, sqlite]"), e.getMessage());
    }

}
