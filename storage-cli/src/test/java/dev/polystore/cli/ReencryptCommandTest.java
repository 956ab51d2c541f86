package dev.polystore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import com.google.crypto.tink.prf.PredefinedPrfParameters;
import com.google.crypto.tink.prf.PrfConfig;
import dev.polystore.Codec;
import dev.polystore.Item;
import dev.polystore.Storage;
import dev.polystore.StorageConfig;
import dev.polystore.Store;
import dev.polystore.StoreFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code polystore reencrypt} on SQLite with the encryption layer: rotate, re-encrypt (resumably), drop the old key. */
class ReencryptCommandTest {
    @TempDir
    Path dir;

    private final CliFixture cli = new CliFixture();

    private static void write(Path file, KeysetHandle h) throws Exception {
        Files.writeString(file, TinkJsonProtoKeysetFormat.serializeKeyset(h, InsecureSecretKeyAccess.get()));
    }

    @Test
    @DisplayName("reencrypt rewrites every item under the new primary key; the old key can then be removed")
    void rotate() throws Exception {
        AeadConfig.register();
        PrfConfig.register();
        KeysetHandle a = KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
        Path aead = dir.resolve("aead.json");
        Path prf = dir.resolve("prf.json");
        write(aead, a);
        write(prf, KeysetHandle.generateNew(PredefinedPrfParameters.HMAC_SHA256_PRF));
        Path config = CliFixture.write(dir.resolve("enc.toml"), "[storage]\nbackend = \"sqlite\"\nlayers = [\"encryption\"]\n\n"
                + "[storage.sqlite]\npath = \"" + dir.resolve("t.db") + "\"\n\n[storage.encryption]\n"
                + "keyset = \"cleartext-file:" + aead + "\"\nblind_keyset = \"cleartext-file:" + prf + "\"\n");
        int n = 120;
        try (Storage s = StoreFactory.open(StorageConfig.fromToml(config))) {
            Store<String> st = s.store("users", Codec.utf8());
            for (int i = 0; i < n; i++) {
                st.put(Item.of("u" + (i % 7), "k" + i, "value " + i)).join();
            }
        }
        KeysetHandle ab = KeysetHandle.newBuilder(a).addEntry(KeysetHandle.generateEntryFromParameters(
                PredefinedAeadParameters.AES256_GCM).withRandomId().makePrimary()).build();
        write(aead, ab);
        Path checkpoint = dir.resolve("reencrypt.checkpoint");
        CliFixture.Result r = cli.run("reencrypt", "--config", config.toString(), "--checkpoint", checkpoint.toString(),
                "--segments", "3", "-P");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().contains("store users: " + n + " read, " + n + " rewritten"), r.toString());
        assertTrue(Files.isRegularFile(checkpoint));
        CliFixture.Result again = cli.run("reencrypt", "--config", config.toString(), "--checkpoint", checkpoint.toString());
        assertEquals(0, again.exit(), again.toString());
        assertTrue(again.out().contains("store users: 0 read"), "a finished checkpoint resumes at its end: " + again);
        write(aead, KeysetHandle.newBuilder(ab).deleteAt(0).build());
        try (Storage s = StoreFactory.open(StorageConfig.fromToml(config))) {
            Store<String> st = s.store("users", Codec.utf8());
            for (int i = 0; i < n; i++) {
                assertEquals("value " + i, st.get("u" + (i % 7), "k" + i).join().orElseThrow().value());
            }
        }
    }
}
