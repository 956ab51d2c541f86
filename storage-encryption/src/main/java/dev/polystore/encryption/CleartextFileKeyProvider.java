package dev.polystore.encryption;

import com.google.crypto.tink.InsecureSecretKeyAccess;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code cleartext-file:<path>}: a Tink JSON keyset stored in the clear. <b>For development and
 * tests only</b>: anyone who can read the file can decrypt everything. Logs a warning when used.
 */
public final class CleartextFileKeyProvider implements KeyProvider {
    private static final Logger LOG = LoggerFactory.getLogger(CleartextFileKeyProvider.class);

    @Override
    public String scheme() {
        return "cleartext-file";
    }

    @Override
    public KeysetHandle load(String location, ConfigSection config, String configKey)
            throws GeneralSecurityException, IOException {
        Path path;
        try {
            path = Path.of(location);
        } catch (InvalidPathException e) {
            throw new ConfigurationException(configKey + ": \"" + location + "\" is not a valid path: " + e.getReason());
        }
        if (!Files.isRegularFile(path)) {
            throw new ConfigurationException(configKey + ": keyset file " + path.toAbsolutePath() + " does not exist");
        }
        LOG.warn("{} reads a cleartext keyset file: for development only, use a KMS-encrypted keyset in production",
                configKey);
        return TinkJsonProtoKeysetFormat.parseKeyset(Files.readString(path, StandardCharsets.UTF_8),
                InsecureSecretKeyAccess.get());
    }
}
