package dev.polystore.postgres;

import dev.polystore.Codec;
import dev.polystore.ConfigurationException;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import dev.polystore.testkit.KitAssertions;
import dev.polystore.testkit.index.Doc;
import dev.polystore.testkit.index.NativeIndexContract;
import dev.polystore.testkit.postgres.EmbeddedPostgresExtension;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The native index hook on PostgreSQL: an entry table of bytea keys with its primary key, joined back to the items. */
class PostgresNativeIndexContractTest extends NativeIndexContract {
    @RegisterExtension
    static final EmbeddedPostgresExtension POSTGRES = new EmbeddedPostgresExtension();

    @Override
    protected StorageConfig config(Path tempDir) {
        return Pg.config(POSTGRES.server()).build();
    }

    @Test
    @DisplayName("without create_tables, a missing entry table fails the first indexed use with ConfigurationException")
    void missingEntryTableWithoutCreateTables() {
        String store = tag + "nc";
        KitAssertions.await(storage.store(store, Codec.utf8()).put(Item.of("a", "0", "x"))); // the item table
        try (Storage fixed = StoreFactory.open(Pg.config(POSTGRES.server()).set("postgres.create_tables", false)
                .build().withClock(clock))) {
            ConfigurationException e = KitAssertions.awaitFailure(ConfigurationException.class,
                    fixed.store(store, Doc.CODEC, Doc.OPTIONS).put(Item.of("b", "0",
                            new Doc("open", "1", List.of(), null, ""))));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("create_tables"), e.getMessage());
        }
    }
}
