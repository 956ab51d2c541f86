package dev.polystore.encryption;

import com.google.crypto.tink.KeysetHandle;
import dev.polystore.ConfigurationException;
import dev.polystore.spi.ConfigSection;
import dev.polystore.spi.ProviderContext;
import dev.polystore.spi.StorageLayer;
import dev.polystore.spi.StorageBackend;
import java.security.GeneralSecurityException;

/**
 * The encryption layer, name {@value #NAME}: chosen with {@code [storage] layers = ["encryption"]}
 * and configured in {@code [storage.encryption]} (docs/encryption.md). Also usable in code with
 * {@link #wrap(StorageBackend, ConfigSection)} or {@link #wrap(StorageBackend, KeysetHandle, KeysetHandle)}.
 *
 * <p>Thread-safe; cheap to construct.
 */
public final class EncryptionLayer implements StorageLayer {
    /** The layer's name and config section. */
    public static final String NAME = "encryption";

    @Override
    public String artifact() {
        return "dev.polystore:storage-encryption";
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public StorageBackend wrap(StorageBackend inner, ProviderContext context) {
        return wrap(inner, context.config());
    }

    /**
     * Wraps {@code inner} with the keysets {@code config} names.
     *
     * @throws ConfigurationException naming the key at fault if a keyset is missing or malformed
     */
    public static EncryptingBackend wrap(StorageBackend inner, ConfigSection config) {
        return new EncryptingBackend(inner, EncryptionSettings.open(config));
    }

    /**
     * Wraps {@code inner} with keysets built in code.
     *
     * @param aead a Tink AEAD keyset (keys with the TINK output prefix), e.g. of AES256_GCM keys
     * @param prf a Tink PRF keyset (HMAC_SHA256_PRF) for blind search terms and index keys
     * @throws ConfigurationException if a keyset is of the wrong kind
     */
    public static EncryptingBackend wrap(StorageBackend inner, KeysetHandle aead, KeysetHandle prf) {
        try {
            return new EncryptingBackend(inner, new EncryptionKeys(new ItemCipher(aead), new KeyBlinder(prf)));
        } catch (GeneralSecurityException e) {
            throw new ConfigurationException("not a usable keyset: " + e.getMessage(), e);
        }
    }
}
