package dev.polystore.mirror;

import dev.polystore.StorageConfig;
import java.nio.file.Path;

/** Configurations of mirrors the tests open by name. */
final class MirrorConfigs {
    private MirrorConfigs() {
    }

    /** memory (primary) to SQLite in {@code dir} (secondary), repair log in {@code dir}. */
    static StorageConfig memoryToSqlite(Path dir) {
        return StorageConfig.builder()
                .backend("mirror")
                .set("mirror.primary", "memory")
                .set("mirror.secondary", "sqlite")
                .set("mirror.repair_log", dir.resolve("mirror-repair.log").toString())
                .set("sqlite.path", dir.resolve("secondary.db").toString())
                .build();
    }
}
