package dev.polystore.encryption;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import dev.polystore.spi.ConfigSection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The KEK-encrypted keyset path every KMS provider (aws-kms included) goes through, with a local
 * AEAD standing in for the KMS key (no KMS is reachable from the tests).
 */
class KekProviderTest {
    @TempDir
    Path dir;

    static final class LocalKek extends KekEncryptedFileKeyProvider {
        private final Aead kek;

        LocalKek(Aead kek) {
            this.kek = kek;
        }

        @Override
        public String scheme() {
            return "local-kek";
        }

        @Override
        protected Aead keyEncryptionKey(ConfigSection config, String configKey) {
            return kek;
        }
    }

    @Test
    @DisplayName("a keyset encrypted by a KEK loads with that KEK and fails with another")
    void encryptedKeyset() throws Exception {
        Aead kek = TestKeys.newAead().getPrimitive(RegistryConfiguration.get(), Aead.class);
        KeysetHandle keyset = TestKeys.newAead();
        Path file = dir.resolve("keyset.enc.json");
        Files.writeString(file, TinkJsonProtoKeysetFormat.serializeEncryptedKeyset(keyset, kek, new byte[0]));
        ConfigSection section = new ConfigSection("storage.encryption", Map.of());
        KeysetHandle loaded = new LocalKek(kek).load(file.toString(), section, "storage.encryption.keyset");
        assertEquals(keyset.getPrimary().getId(), loaded.getPrimary().getId());
        Aead other = TestKeys.newAead().getPrimitive(RegistryConfiguration.get(), Aead.class);
        assertThrows(GeneralSecurityException.class,
                () -> new LocalKek(other).load(file.toString(), section, "storage.encryption.keyset"));
    }
}
