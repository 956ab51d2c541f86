package dev.polystore.encryption;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import dev.polystore.ConfigurationException;
import dev.polystore.spi.ConfigSection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;

/**
 * {@code <scheme>:<path>}: a Tink JSON keyset file encrypted by a key-encryption key (KEK) that a
 * key management system holds; the keyset's cleartext exists only in memory. Subclasses supply the
 * KEK as a Tink {@link Aead} (for AWS KMS, {@link AwsKmsKeyProvider}). The encrypted keyset carries
 * no associated data (Tink's {@code TinkJsonProtoKeysetFormat.serializeEncryptedKeyset(handle, kek,
 * new byte[0])} writes one).
 */
public abstract class KekEncryptedFileKeyProvider implements KeyProvider {

    /** The key-encryption key; may read the provider's own keys from {@code config}. */
    protected abstract Aead keyEncryptionKey(ConfigSection config, String configKey) throws GeneralSecurityException;

    @Override
    public final KeysetHandle load(String location, ConfigSection config, String configKey)
            throws GeneralSecurityException, IOException {
        Aead kek = keyEncryptionKey(config, configKey);
        Path path;
        try {
            path = Path.of(location);
        } catch (InvalidPathException e) {
            throw new ConfigurationException(configKey + ": \"" + location + "\" is not a valid path: " + e.getReason());
        }
        if (!Files.isRegularFile(path)) {
            throw new ConfigurationException(configKey + ": encrypted keyset file " + path.toAbsolutePath()
                    + " does not exist");
        }
        return TinkJsonProtoKeysetFormat.parseEncryptedKeyset(Files.readString(path, StandardCharsets.UTF_8), kek,
                new byte[0]);
    }
}
