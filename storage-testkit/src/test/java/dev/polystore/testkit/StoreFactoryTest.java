package dev.polystore.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.polystore.Codec;
import dev.polystore.ConfigurationException;
import dev.polystore.Item;
import dev.polystore.Query;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.StoreFactory;
import dev.polystore.spi.ConfigSection;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration files, overrides and provider discovery, end to end through {@link StoreFactory}. */
class StoreFactoryTest {
    @TempDir
    Path dir;

    private Path toml(String text) throws IOException {
        Path file = dir.resolve("polystore.toml");
        Files.writeString(file, text);
        return file;
    }

    @Nested
    @DisplayName("configuration files")
    class Files_ {
        @Test
        @DisplayName("a TOML file naming the memory backend opens a working storage, found through ServiceLoader")
        void memoryFromToml() throws IOException {
            Path file = toml("[app]\nname = \"demo\"\n\n[storage]\nbackend = \"memory\"\n\n[storage.sqlite]\npath = \"ignored.db\"\n");
            try (Storage storage = StoreFactory.fromConfig(file)) {
                assertEquals("memory", storage.backend());
                storage.store("t", Codec.utf8()).put(Item.of("p", "s", "v")).join();
                assertEquals("v", storage.store("t", Codec.utf8()).get("p", "s").join().orElseThrow().value());
            }
        }

        @Test
        @DisplayName("an unknown backend lists the providers found and says which module provides a known one")
        void unknownBackend() throws IOException {
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> StoreFactory.fromConfig(toml("[storage]\nbackend = \"nosuch\"\n")));
            assertTrue(e.getMessage().contains("storage.backend = \"nosuch\""), e.getMessage());
            assertTrue(e.getMessage().contains("memory"), "lists the providers found: " + e.getMessage());
            ConfigurationException sqlite = assertThrows(ConfigurationException.class,
                    () -> StoreFactory.open(StorageConfig.builder().backend("dynamodb").build()));
            assertTrue(sqlite.getMessage().contains("dev.polystore:storage-dynamodb"), sqlite.getMessage());
        }

        @Test
        @DisplayName("two providers with one name are an error naming both classes")
        void duplicateNames() {
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> StoreFactory.open(StorageConfig.builder().backend("twin").build()));
            assertTrue(e.getMessage().contains(TwinProviders.First.class.getName()), e.getMessage());
            assertTrue(e.getMessage().contains(TwinProviders.Second.class.getName()), e.getMessage());
        }

        @Test
        @DisplayName("a provider that cannot be loaded is skipped and the others still work")
        void brokenProviderSkipped() throws IOException {
            Path services = dir.resolve("cp/META-INF/services/dev.polystore.spi.StorageProvider");
            Files.createDirectories(services.getParent());
            Files.writeString(services, "com.example.DoesNotExist\n");
            ClassLoader original = Thread.currentThread().getContextClassLoader();
            try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.resolve("cp").toUri().toURL()}, original)) {
                Thread.currentThread().setContextClassLoader(loader);
                try (Storage storage = StoreFactory.open(StorageConfig.builder().backend("memory").build())) {
                    assertEquals("memory", storage.backend());
                }
                ConfigurationException e = assertThrows(ConfigurationException.class,
                        () -> StoreFactory.open(StorageConfig.builder().backend("nosuch").build()));
                assertTrue(java.util.Arrays.stream(e.getSuppressed()).anyMatch(s -> String.valueOf(s).contains("DoesNotExist")),
                        () -> "the load failure is kept as the cause for diagnosis: " + java.util.Arrays.toString(e.getSuppressed()));
            } finally {
                Thread.currentThread().setContextClassLoader(original);
            }
        }

        @Test
        @DisplayName("bad files fail with the path or key and what was expected")
        void badFiles() throws IOException {
            ConfigurationException missing = assertThrows(ConfigurationException.class,
                    () -> StoreFactory.fromConfig(dir.resolve("absent.toml")));
            assertTrue(missing.getMessage().contains("absent.toml"), missing.getMessage());
            ConfigurationException noTable = assertThrows(ConfigurationException.class,
                    () -> StoreFactory.fromConfig(toml("[app]\nx = 1\n")));
            assertTrue(noTable.getMessage().contains("[storage]"), noTable.getMessage());
            ConfigurationException notToml = assertThrows(ConfigurationException.class,
                    () -> StoreFactory.fromConfig(toml("[storage\nbackend = memory")));
            assertTrue(notToml.getMessage().contains("TOML"), notToml.getMessage());
            ConfigurationException array = assertThrows(ConfigurationException.class,
                    () -> StoreFactory.fromConfig(toml("[storage]\nbackend = \"memory\"\n[storage.memory]\nx = [1, 2]\n")));
            assertTrue(array.getMessage().contains("storage.memory.x"), array.getMessage());
            ConfigurationException unknown = assertThrows(ConfigurationException.class,
                    () -> StoreFactory.fromConfig(toml("[storage]\nbackend = \"memory\"\n[storage.memory]\npth = \"x\"\n")));
            assertTrue(unknown.getMessage().contains("storage.memory.pth"), unknown.getMessage());
            ConfigurationException topLevel = assertThrows(ConfigurationException.class,
                    () -> StoreFactory.fromConfig(toml("[storage]\nbackend = \"memory\"\nbakend = \"x\"\n")));
            assertTrue(topLevel.getMessage().contains("storage.bakend"), topLevel.getMessage());
            ConfigurationException badName = assertThrows(ConfigurationException.class,
                    () -> StoreFactory.fromConfig(toml("[storage]\nbackend = \"My Backend\"\n")));
            assertTrue(badName.getMessage().contains("My Backend"), badName.getMessage());
        }
    }

    @Nested
    @DisplayName("overrides from the environment and system properties")
    class Overrides {
        @Test
        @DisplayName("STORAGE_BACKEND overrides the file; storage.backend overrides both")
        void backendOverride() throws IOException {
            StorageConfig file = StorageConfig.fromToml(toml("[storage]\nbackend = \"nosuch\"\n"));
            StorageConfig env = file.withOverrides(Map.of("STORAGE_BACKEND", "memory"), new Properties());
            assertEquals("memory", env.backend());
            try (Storage storage = StoreFactory.open(env)) {
                assertEquals("memory", storage.backend());
            }
            Properties props = new Properties();
            props.setProperty("storage.backend", "twin");
            assertEquals("twin", file.withOverrides(Map.of("STORAGE_BACKEND", "memory"), props).backend());
        }

        @Test
        @DisplayName("section keys map from STORAGE_<SECTION>_<KEY> and storage.<section>.<key>")
        void sectionKeys() throws IOException {
            StorageConfig file = StorageConfig.fromToml(toml(
                    "[storage]\nbackend = \"dynamodb\"\n[storage.dynamodb]\ntable_prefix = \"blue_\"\nregion = \"us-east-1\"\n"));
            Properties props = new Properties();
            props.setProperty("storage.dynamodb.region", "eu-west-1");
            StorageConfig merged = file.withOverrides(Map.of("STORAGE_DYNAMODB_TABLE_PREFIX", "green_",
                    "STORAGE_DYNAMODB_REGION", "ap-south-1", "PATH", "/bin"), props);
            assertEquals(Map.of("table_prefix", "green_", "region", "eu-west-1"), merged.section("dynamodb"));
            assertEquals("blue_", file.section("dynamodb").get("table_prefix"), "the original is unchanged");
        }

        @Test
        @DisplayName("fromEnv() reads system properties; with nothing set it asks for embedded SQLite")
        void fromEnv() {
            String before = System.getProperty("storage.backend");
            try {
                System.setProperty("storage.backend", "memory");
                try (Storage storage = StoreFactory.fromEnv()) {
                    assertEquals("memory", storage.backend());
                }
            } finally {
                if (before == null) {
                    System.clearProperty("storage.backend");
                } else {
                    System.setProperty("storage.backend", before);
                }
            }
            assertEquals("sqlite", StorageConfig.builder().build().backend());
        }

        @Test
        @DisplayName("toString lists keys, never values (they may be secrets)")
        void noSecretsInToString() {
            StorageConfig c = StorageConfig.builder().backend("memory").set("x.secret_access_key", "hunter2").build();
            assertTrue(c.toString().contains("x.secret_access_key"));
            assertTrue(!c.toString().contains("hunter2"), c.toString());
        }
    }

    @Nested
    @DisplayName("the cursor secret ([storage] cursor_secret)")
    class CursorSecret {
        private static final String SECRET = "a cursor secret of more than 32 bytes, for the test";

        private String firstCursor(Storage storage) {
            var store = storage.store("t", Codec.utf8());
            store.put(Item.of("p", "a", "1")).join();
            store.put(Item.of("p", "b", "2")).join();
            return store.query(Query.partition("p").limit(1)).join().cursor().orElseThrow();
        }

        private java.util.concurrent.CompletableFuture<?> resume(Storage storage, String cursor) {
            var store = storage.store("t", Codec.utf8());
            store.put(Item.of("p", "a", "1")).join();
            store.put(Item.of("p", "b", "2")).join();
            return store.query(Query.partition("p").limit(1).after(cursor));
        }

        @Test
        @DisplayName("storages with the same secret from the file open each other's cursors; others refuse them")
        void fromToml() throws Exception {
            Path file = toml("[storage]\nbackend = \"memory\"\ncursor_secret = \"" + SECRET + "\"\n");
            try (Storage one = StoreFactory.fromConfig(file); Storage two = StoreFactory.fromConfig(file);
                 Storage builtIn = StoreFactory.open(StorageConfig.builder().backend("memory").build())) {
                String cursor = firstCursor(one);
                assertEquals(1, ((dev.polystore.Page<?>) resume(two, cursor).join()).items().size());
                var refused = assertThrows(java.util.concurrent.CompletionException.class, () -> resume(builtIn, cursor).join());
                assertTrue(refused.getCause() instanceof dev.polystore.ValidationException, String.valueOf(refused.getCause()));
                String builtInCursor = firstCursor(builtIn);
                var refusedToo = assertThrows(java.util.concurrent.CompletionException.class, () -> resume(one, builtInCursor).join());
                assertTrue(refusedToo.getCause() instanceof dev.polystore.ValidationException, String.valueOf(refusedToo.getCause()));
            }
        }

        @Test
        @DisplayName("STORAGE_CURSOR_SECRET and storage.cursor_secret set the top-level key, not a section")
        void overrides() throws IOException {
            StorageConfig file = StorageConfig.fromToml(toml("[storage]\nbackend = \"memory\"\n"));
            StorageConfig env = file.withOverrides(Map.of("STORAGE_CURSOR_SECRET", SECRET), new Properties());
            assertEquals(SECRET, env.values().get(StorageConfig.CURSOR_SECRET));
            assertEquals(Map.of(), env.section("cursor"));
            Properties props = new Properties();
            props.setProperty("storage.cursor_secret", SECRET + "!");
            assertEquals(SECRET + "!", file.withOverrides(Map.of("STORAGE_CURSOR_SECRET", SECRET), props)
                    .values().get(StorageConfig.CURSOR_SECRET));
            try (Storage storage = StoreFactory.open(env)) {
                assertEquals("memory", storage.backend());
            }
        }

        @Test
        @DisplayName("a secret of the wrong length fails at open, naming the key but not the value")
        void badLength() throws IOException {
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> StoreFactory.fromConfig(toml("[storage]\nbackend = \"memory\"\ncursor_secret = \"hunter2\"\n")));
            assertTrue(e.getMessage().contains("storage.cursor_secret is 7 bytes"), e.getMessage());
            assertTrue(!e.getMessage().contains("hunter2"), e.getMessage());
        }

        @Test
        @DisplayName("other keys directly under [storage] are still rejected, with the list of allowed ones")
        void otherTopLevelKeys() throws IOException {
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> StoreFactory.fromConfig(toml("[storage]\nbackend = \"memory\"\ncursor_secrets = \"x\"\n")));
            assertTrue(e.getMessage().contains("unknown key storage.cursor_secrets")
                    && e.getMessage().contains("[backend, cursor_secret, layers]"), e.getMessage());
        }
    }

    @Nested
    @DisplayName("typed config values")
    class Values {
        private final ConfigSection section = new ConfigSection("storage.demo", Map.of(
                "n", "12", "bad_n", "twelve", "flag", "TRUE", "bad_flag", "yes", "mode", "normal", "big", "99999"));

        @Test
        @DisplayName("values parse, and bad ones name the key, the value and what was expected")
        void typed() {
            assertEquals(12, section.intValue("n", 0, 0, 100));
            assertEquals(7, section.intValue("absent", 7, 0, 100));
            assertTrue(section.booleanValue("flag", false));
            assertEquals("NORMAL", section.oneOf("mode", "FULL", Set.of("OFF", "NORMAL", "FULL")));
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> section.intValue("bad_n", 0, 0, 100));
            assertTrue(e.getMessage().contains("storage.demo.bad_n") && e.getMessage().contains("twelve")
                    && e.getMessage().contains("whole number"), e.getMessage());
            ConfigurationException range = assertThrows(ConfigurationException.class, () -> section.intValue("big", 0, 0, 100));
            assertTrue(range.getMessage().contains("from 0 to 100"), range.getMessage());
            ConfigurationException bool = assertThrows(ConfigurationException.class, () -> section.booleanValue("bad_flag", false));
            assertTrue(bool.getMessage().contains("true or false"), bool.getMessage());
            ConfigurationException oneOf = assertThrows(ConfigurationException.class,
                    () -> section.oneOf("bad_flag", "FULL", Set.of("OFF", "FULL")));
            assertTrue(oneOf.getMessage().contains("[FULL, OFF]"), oneOf.getMessage());
        }

        @Test
        @DisplayName("keys nobody read are rejected, listing the known ones")
        void unknownKeys() {
            ConfigSection s = new ConfigSection("storage.demo", Map.of("path", "x", "pth", "y"));
            s.string("path");
            ConfigurationException e = assertThrows(ConfigurationException.class, s::rejectUnknownKeys);
            assertTrue(e.getMessage().contains("storage.demo.pth") && e.getMessage().contains("[path]"), e.getMessage());
        }
    }

    @Nested
    @DisplayName("layers")
    class Layers {
        /** The chain of backends {@code StoreFactory} built, outermost first. */
        private java.util.List<dev.polystore.spi.StorageBackend> chain(StorageConfig config) {
            java.util.List<dev.polystore.spi.StorageBackend> chain = new java.util.ArrayList<>();
            try (Storage storage = StoreFactory.open(config, backend -> {
                dev.polystore.spi.StorageBackend b = backend;
                chain.add(b);
                while (b instanceof dev.polystore.spi.ForwardingStorageBackend f) {
                    b = f.delegate();
                    chain.add(b);
                }
                return backend;
            })) {
                storage.store("t", Codec.utf8()).put(Item.of("p", "s", "v")).join();
                assertEquals("v", storage.store("t", Codec.utf8()).get("p", "s").join().orElseThrow().value(),
                        "a storage over layers reads what it wrote");
            }
            return chain;
        }

        @Test
        @DisplayName("a TOML array of layers wraps the backend outermost first, each with its own section")
        void orderAndSections() throws IOException {
            Path file = toml("[storage]\nbackend = \"memory\"\nlayers = [\"alpha\", \"beta\"]\n"
                    + "[storage.alpha]\nlabel = \"A\"\n[storage.beta]\nlabel = \"B\"\n");
            java.util.List<dev.polystore.spi.StorageBackend> chain = chain(StorageConfig.fromToml(file));
            assertEquals(3, chain.size(), "alpha over beta over the backend: " + chain);
            TestLayers.Tagged outer = (TestLayers.Tagged) chain.get(0);
            TestLayers.Tagged inner = (TestLayers.Tagged) chain.get(1);
            assertEquals("alpha", outer.layer);
            assertEquals("A", outer.label);
            assertEquals("beta", inner.layer);
            assertEquals("B", inner.label);
            assertEquals("memory", chain.get(2).name());
        }

        @Test
        @DisplayName("STORAGE_LAYERS and -Dstorage.layers list layers separated by commas; the property wins")
        void overrides() {
            StorageConfig base = StorageConfig.builder().backend("memory").build();
            java.util.List<dev.polystore.spi.StorageBackend> fromEnv = chain(
                    base.withOverrides(Map.of("STORAGE_LAYERS", "beta, alpha"), new Properties()));
            assertEquals("beta", ((TestLayers.Tagged) fromEnv.get(0)).layer);
            assertEquals("alpha", ((TestLayers.Tagged) fromEnv.get(1)).layer);
            Properties props = new Properties();
            props.setProperty("storage.layers", "alpha");
            java.util.List<dev.polystore.spi.StorageBackend> fromProperty = chain(
                    base.withOverrides(Map.of("STORAGE_LAYERS", "beta"), props));
            assertEquals(2, fromProperty.size());
            assertEquals("alpha", ((TestLayers.Tagged) fromProperty.get(0)).layer);
            assertEquals(java.util.List.of("alpha", "beta"),
                    StorageConfig.builder().layers("alpha", "beta").build().layers());
        }

        @Test
        @DisplayName("an unknown layer lists those found and names the module of a known one, before the backend opens")
        void unknownLayer() {
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> StoreFactory.open(
                    StorageConfig.builder().backend("memory").layers("nosuch").build()));
            assertTrue(e.getMessage().contains("\"nosuch\""), e.getMessage());
            assertTrue(e.getMessage().contains("alpha"), "lists the layers found: " + e.getMessage());
            ConfigurationException known = assertThrows(ConfigurationException.class, () -> StoreFactory.open(
                    StorageConfig.builder().backend("memory").layers("encryption").build()));
            assertTrue(known.getMessage().contains("dev.polystore:storage-encryption"), known.getMessage());
            assertTrue(StoreFactory.availableLayers().containsAll(Set.of("alpha", "beta")), StoreFactory.availableLayers().toString());
        }

        @Test
        @DisplayName("a layer listed twice, named like the backend, or with an empty name is refused")
        void badLists() throws IOException {
            ConfigurationException twice = assertThrows(ConfigurationException.class, () -> StoreFactory.open(
                    StorageConfig.builder().backend("memory").layers("alpha", "alpha").build()));
            assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
            ConfigurationException empty = assertThrows(ConfigurationException.class, () -> StoreFactory.open(
                    StorageConfig.builder().backend("memory").set("layers", "alpha,,beta").build()));
            assertTrue(empty.getMessage().contains("empty name"), empty.getMessage());
            ConfigurationException numbers = assertThrows(ConfigurationException.class,
                    () -> StoreFactory.fromConfig(toml("[storage]\nbackend = \"memory\"\nlayers = [1]\n")));
            assertTrue(numbers.getMessage().contains("storage.layers"), numbers.getMessage());
        }

        @Test
        @DisplayName("an unknown key in a layer's section is refused naming it, and what was opened is closed")
        void unknownKeyClosesBackend() {
            TestLayers.CLOSED.set(0);
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> StoreFactory.open(
                    StorageConfig.builder().backend("memory").layers("alpha", "beta")
                            .set("alpha.lable", "x").build()));
            assertTrue(e.getMessage().contains("storage.alpha.lable"), e.getMessage());
            assertEquals(1, TestLayers.CLOSED.get(), "beta's backend (and through it the memory backend) was closed");
            TestLayers.CLOSED.set(0);
            ConfigurationException failing = assertThrows(ConfigurationException.class, () -> StoreFactory.open(
                    StorageConfig.builder().backend("memory").layers("alpha", "beta").set("alpha.fail", "true").build()));
            assertTrue(failing.getMessage().contains("storage.alpha.fail"), failing.getMessage());
            assertEquals(1, TestLayers.CLOSED.get());
            TestLayers.CLOSED.set(0);
            ConfigurationException none = assertThrows(ConfigurationException.class, () -> StoreFactory.open(
                    StorageConfig.builder().backend("memory").layers("nothing", "beta").build()));
            assertTrue(none.getMessage().contains("returned no backend"), none.getMessage());
            assertEquals(1, TestLayers.CLOSED.get());
        }
    }
}
