package dev.polystore.encryption;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import com.google.crypto.tink.prf.PredefinedPrfParameters;
import com.google.crypto.tink.prf.PrfConfig;
import dev.polystore.StorageConfig;
import java.nio.file.Files;
import java.nio.file.Path;

/** Development keysets written to a test's folder, and configurations that use them. */
final class TestKeys {
    static {
        try {
            AeadConfig.register();
            PrfConfig.register();
        } catch (Exception e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private TestKeys() {
    }

    static KeysetHandle newAead() throws Exception {
        return KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
    }

    static KeysetHandle newPrf() throws Exception {
        return KeysetHandle.generateNew(PredefinedPrfParameters.HMAC_SHA256_PRF);
    }

    static Path write(Path file, KeysetHandle handle) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get()));
        return file;
    }

    private static Path shared;

    /**
     * Sets the layer on {@code b} with one keyset pair for the whole test run: the kit's domain
     * stores share fixed keys (an id counter, listings) across the tests of one engine, which must
     * therefore read each other's items.
     */
    static synchronized StorageConfig.Builder encrypted(StorageConfig.Builder b) throws Exception {
        if (shared == null) {
            shared = Files.createTempDirectory("enc-keys");
            shared.toFile().deleteOnExit();
        }
        StorageConfig.Builder out = encrypted(b, shared);
        shared.resolve("keys/aead.json").toFile().deleteOnExit();
        shared.resolve("keys/prf.json").toFile().deleteOnExit();
        shared.resolve("keys").toFile().deleteOnExit();
        return out;
    }

    /** Writes a fresh AEAD and PRF keyset under {@code dir} (once) and sets the layer on {@code b}. */
    static StorageConfig.Builder encrypted(StorageConfig.Builder b, Path dir) throws Exception {
        Path aead = dir.resolve("keys/aead.json");
        Path prf = dir.resolve("keys/prf.json");
        if (!Files.exists(aead)) {
            write(aead, newAead());
            write(prf, newPrf());
        }
        return b.layers("encryption")
                .set("encryption.keyset", "cleartext-file:" + aead)
                .set("encryption.blind_keyset", "cleartext-file:" + prf);
    }

    /** The overhead of an AES256_GCM keyset's items: format, flags, key id prefix, nonce and tag. */
    static final int OVERHEAD = 1 + 1 + 5 + 12 + 16;
}
