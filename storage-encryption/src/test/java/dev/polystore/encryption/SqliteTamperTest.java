package dev.polystore.encryption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import dev.polystore.Capability;
import dev.polystore.Codec;
import dev.polystore.ConfigurationException;
import dev.polystore.DocumentStore;
import dev.polystore.IndexSpec;
import dev.polystore.IntegrityException;
import dev.polystore.Item;
import dev.polystore.Key;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import dev.polystore.StoreOptions;
import dev.polystore.document.NewDocument;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tamper suite, rotation, wrong keysets, configuration errors and the canary, on an SQLite file read with JDBC. */
class SqliteTamperTest {
    @TempDir
    Path dir;

    private StorageConfig.Builder sqlite() {
        return StorageConfig.builder().backend("sqlite").set("sqlite.path", dir.resolve("t.db").toString());
    }

    private Storage open() throws Exception {
        return StoreFactory.open(TestKeys.encrypted(sqlite(), dir).build());
    }

    /** Raw payloads in the SQLite file, around Polystore. */
    final class Jdbc implements TamperSuite.Engine {
        private Connection c() throws Exception {
            return DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("t.db"));
        }

        @Override
        public byte[] read(String store, Key key) throws Exception {
            try (Connection c = c(); PreparedStatement st = c.prepareStatement(
                    "SELECT payload FROM \"store_" + store + "\" WHERE pk = ? AND sk = ?")) {
                st.setString(1, key.pk());
                st.setString(2, key.sk());
                try (ResultSet rs = st.executeQuery()) {
                    assertTrue(rs.next(), "row " + key + " in " + store);
                    return rs.getBytes(1);
                }
            }
        }

        @Override
        public void write(String store, Key key, byte[] payload) throws Exception {
            try (Connection c = c(); PreparedStatement st = c.prepareStatement(
                    "UPDATE \"store_" + store + "\" SET payload = ? WHERE pk = ? AND sk = ?")) {
                st.setBytes(1, payload);
                st.setString(2, key.pk());
                st.setString(3, key.sk());
                assertEquals(1, st.executeUpdate());
            }
        }

        List<String> pks(String store) throws Exception {
            List<String> out = new ArrayList<>();
            try (Connection c = c(); ResultSet rs = c.createStatement().executeQuery("SELECT pk FROM \"store_" + store + "\"")) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
            return out;
        }
    }

    @Test
    @DisplayName("tamper suite: every bit flip, truncation, extension and swap of stored ciphertexts is rejected")
    void tamper() throws Exception {
        try (Storage storage = open()) {
            TamperSuite.Figures f = new TamperSuite(storage, new Jdbc()).run("sqlite", "t#");
            assertTrue(f.attempts() > 400, "attempts: " + f.attempts());
        }
    }

    @Test
    @DisplayName("the layer removes NATIVE_SEARCH from SQLite and declares its payload overhead")
    void capabilities() throws Exception {
        try (Storage plain = StoreFactory.open(sqlite().set("sqlite.path", dir.resolve("p.db").toString()).build());
             Storage storage = open()) {
            assertTrue(plain.capabilities().has(Capability.NATIVE_SEARCH));
            assertFalse(storage.capabilities().has(Capability.NATIVE_SEARCH));
            assertTrue(storage.capabilities().has(Capability.SCAN));
        }
    }

    @Test
    @DisplayName("rotation: write under A, make B primary, read all, re-encrypt, drop A, read all")
    void rotation() throws Exception {
        KeysetHandle a = TestKeys.newAead();
        Path prf = TestKeys.write(dir.resolve("keys/prf.json"), TestKeys.newPrf());
        Path keyset = TestKeys.write(dir.resolve("keys/aead.json"), a);
        StorageConfig config = sqlite().layers("encryption").set("encryption.keyset", "cleartext-file:" + keyset)
                .set("encryption.blind_keyset", "cleartext-file:" + prf).build();
        int n = 50;
        try (Storage s = StoreFactory.open(config)) {
            Store<String> st = s.store("rot", Codec.utf8());
            for (int i = 0; i < n; i++) {
                st.put(Item.of("p", String.format("k%02d", i), "value " + i)).join();
            }
        }
        Jdbc jdbc = new Jdbc();
        int idA = a.getPrimary().getId();
        assertEquals(idA, keyId(jdbc.read("rot", Key.of("p", "k00"))));
        KeysetHandle ab = KeysetHandle.newBuilder(a).addEntry(KeysetHandle.generateEntryFromParameters(
                PredefinedAeadParameters.AES256_GCM).withRandomId().makePrimary()).build();
        int idB = ab.getPrimary().getId();
        TestKeys.write(keyset, ab);
        try (Storage s = StoreFactory.open(config)) {
            Store<String> st = s.store("rot", Codec.utf8());
            for (int i = 0; i < n; i++) {
                assertEquals("value " + i, st.get("p", String.format("k%02d", i)).join().orElseThrow().value());
            }
            st.put(Item.of("p", "new", "new value")).join();
            assertEquals(idB, keyId(jdbc.read("rot", Key.of("p", "new"))));
            List<Reencryption.Progress> progress = new ArrayList<>();
            Reencryption.Progress done = Reencryption.of(s).run("rot", 2, new MemoryCheckpoint(), progress::add);
            assertEquals(n + 1, done.read());
            assertEquals(n + 1, done.rewritten() + done.changed());
            assertFalse(progress.isEmpty());
        }
        for (int i = 0; i < n; i++) {
            assertEquals(idB, keyId(jdbc.read("rot", Key.of("p", String.format("k%02d", i)))), "re-encrypted under B");
        }
        KeysetHandle onlyB = KeysetHandle.newBuilder(ab).deleteAt(0).build();
        assertEquals(1, onlyB.size());
        TestKeys.write(keyset, onlyB);
        try (Storage s = StoreFactory.open(config)) {
            Store<String> st = s.store("rot", Codec.utf8());
            for (int i = 0; i < n; i++) {
                assertEquals("value " + i, st.get("p", String.format("k%02d", i)).join().orElseThrow().value());
            }
        }
    }

    @Test
    @DisplayName("a wrong keyset fails cleanly with UnknownKeyException naming store, key and key id")
    void wrongKeyset() throws Exception {
        try (Storage s = open()) {
            s.store("w", Codec.utf8()).put(Item.of("p", "s", "secret")).join();
        }
        Path other = dir.resolve("other");
        try (Storage s = StoreFactory.open(TestKeys.encrypted(sqlite(), other).build())) {
            CompletionException e = assertThrows(CompletionException.class,
                    () -> s.store("w", Codec.utf8()).get("p", "s").join());
            UnknownKeyException u = (UnknownKeyException) e.getCause();
            assertTrue(u.getMessage().contains("'w'") && u.getMessage().contains("key id"), u.getMessage());
            assertEquals("w", u.store().orElseThrow());
            assertFalse(u.getMessage().contains("secret"));
        }
    }

    @Test
    @DisplayName("a missing or malformed keyset fails at open naming the config key")
    void badConfig() throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{not a keyset");
        TestKeys.encrypted(sqlite(), dir);
        String prf = "cleartext-file:" + dir.resolve("keys/prf.json");
        ConfigurationException missing = assertThrows(ConfigurationException.class, () -> StoreFactory.open(
                sqlite().layers("encryption").set("encryption.blind_keyset", prf).build()));
        assertTrue(missing.getMessage().contains("storage.encryption.keyset"), missing.getMessage());
        ConfigurationException malformed = assertThrows(ConfigurationException.class, () -> StoreFactory.open(
                sqlite().layers("encryption").set("encryption.keyset", "cleartext-file:" + bad)
                        .set("encryption.blind_keyset", prf).build()));
        assertTrue(malformed.getMessage().contains("storage.encryption.keyset"), malformed.getMessage());
        ConfigurationException absent = assertThrows(ConfigurationException.class, () -> StoreFactory.open(
                sqlite().layers("encryption").set("encryption.keyset", "cleartext-file:" + dir.resolve("nope.json"))
                        .set("encryption.blind_keyset", prf).build()));
        assertTrue(absent.getMessage().contains("storage.encryption.keyset"), absent.getMessage());
        ConfigurationException env = assertThrows(ConfigurationException.class, () -> StoreFactory.open(
                sqlite().layers("encryption").set("encryption.keyset", "env:POLYSTORE_TEST_UNSET_KEYSET")
                        .set("encryption.blind_keyset", prf).build()));
        assertTrue(env.getMessage().contains("POLYSTORE_TEST_UNSET_KEYSET"), env.getMessage());
        ConfigurationException wrongKind = assertThrows(ConfigurationException.class, () -> StoreFactory.open(
                sqlite().layers("encryption").set("encryption.keyset", prf).set("encryption.blind_keyset", prf).build()));
        assertTrue(wrongKind.getMessage().contains("storage.encryption.keyset"), wrongKind.getMessage());
        ConfigurationException unknown = assertThrows(ConfigurationException.class, () -> StoreFactory.open(
                TestKeys.encrypted(sqlite(), dir).set("encryption.keyset_typo", "x").build()));
        assertTrue(unknown.getMessage().contains("storage.encryption.keyset_typo"), unknown.getMessage());
        ConfigurationException kms = assertThrows(ConfigurationException.class, () -> StoreFactory.open(
                sqlite().layers("encryption").set("encryption.keyset", "aws-kms:" + bad)
                        .set("encryption.blind_keyset", prf).build()));
        assertTrue(kms.getMessage().contains("storage.encryption.kms_key_uri"), kms.getMessage());
    }

    @Test
    @DisplayName("canary: a marker in values, document text and index keys is nowhere in the SQLite file, WAL, logs or errors")
    void canary() throws Exception {
        String marker = "canarymarker7f3a9";
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream err = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        List<String> messages = new ArrayList<>();
        List<String> filesWhileOpen = new ArrayList<>();
        try (Storage s = open()) {
            Store<String> st = s.store("canary", Codec.utf8(), StoreOptions.indexes(
                    IndexSpec.of("byValue", (String v) -> v)));
            st.put(Item.of("p", "s", marker)).join();
            assertEquals(1, st.index("byValue").query(marker).join().size(), "exact-key index query through blind keys");
            DocumentStore docs = s.documents();
            long id = docs.addDocument(new NewDocument("title " + marker, "body with " + marker + " inside",
                    java.util.Map.of())).join();
            assertEquals(List.of(id), docs.search(marker, 10).join().stream().map(h -> h.id()).toList(),
                    "exact-term search through blind terms");
            byte[] needleOpen = marker.getBytes(StandardCharsets.UTF_8);
            try (var files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.getFileName().toString().startsWith("t.db")).toList()) {
                    assertFalse(contains(Files.readAllBytes(f), needleOpen), "marker found in " + f.getFileName() + " (open)");
                    filesWhileOpen.add(f.getFileName().toString());
                }
            }
            new Jdbc().write("canary", Key.of("p", "s"), new byte[] {1, 2, 3});
            try {
                st.get("p", "s").join();
            } catch (CompletionException e) {
                assertTrue(e.getCause() instanceof IntegrityException);
                messages.add(e.getCause().toString());
            }
        } finally {
            System.setErr(err);
        }
        byte[] needle = marker.getBytes(StandardCharsets.UTF_8);
        int filesChecked = 0;
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("t.db")).toList()) {
                assertFalse(contains(Files.readAllBytes(f), needle), "marker found in " + f.getFileName());
                filesChecked++;
            }
        }
        assertTrue(filesChecked >= 1);
        String log = captured.toString(StandardCharsets.UTF_8);
        assertTrue(log.contains("cleartext keyset file"), "the log was captured: " + log);
        assertFalse(log.contains(marker), "marker in the log");
        assertTrue(filesWhileOpen.contains("t.db-wal"), "the WAL was checked while open: " + filesWhileOpen);
        assertFalse(messages.isEmpty());
        messages.forEach(m -> assertFalse(m.contains(marker), m));
        assertTrue(new Jdbc().pks("documents").stream().noneMatch(pk -> pk.contains(marker)), "blind terms");
        System.out.println("canary sqlite: marker absent from " + filesWhileOpen + " while open, " + filesChecked
                + " file(s) after close, the log and "
                + messages.size() + " error message(s)");
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    static int keyId(byte[] stored) {
        return ItemCipher.keyId(stored).orElseThrow();
    }
}
